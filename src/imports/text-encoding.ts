import type { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { TidingsError } from '../errors';

/**
 * Files as people have them: UTF-8 (with or without a BOM), UTF-16 with a BOM (Excel's "Unicode text"), and the
 * legacy encodings spreadsheets still save by default: GB18030/GBK (Chinese Excel), Shift_JIS (Japanese
 * Excel) and Windows-1252 (Western Excel). The encoding is told from the first 64 KB; a file it cannot be told
 * for is refused with how to re-save it, never read into replacement characters.
 */
export const SUPPORTED_ENCODINGS = ['utf-8', 'utf-16le', 'utf-16be', 'gb18030', 'shift_jis', 'windows-1252'] as const;
export type TextEncoding = (typeof SUPPORTED_ENCODINGS)[number];

const SAMPLE_BYTES = 64 * 1024;
/** Below this share of plausible characters, a legacy encoding is not taken as the file's. */
const MIN_PLAUSIBLE = 0.6;

export const RESAVE_HINT =
  'open it in Excel, LibreOffice or Numbers and save it as "CSV UTF-8" (in Excel: File › Save As › "CSV UTF-8 (Comma delimited)"), or name its encoding with --encoding gb18030, shift_jis or windows-1252';

const ASCII_LETTER = /[A-Za-z]/;
const LATIN_LETTER = /[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e]/;
const TYPOGRAPHY = /[\u2018\u2019\u201a\u201c\u201d\u201e\u2013\u2014\u2026\u20ac\u00a0\u00b7\u2022]/;
const CJK = /[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]/;
const KANA = /[\u3040-\u30ff]/;

/**
 * How plausible a decoded sample is as text in this encoding: the share of its non-ASCII characters that a
 * person writing in it would type. Decoding a file in the wrong one gives runs of rare characters: GB18030
 * read as Windows-1252 gives accented letters with no ASCII letter beside them, Shift_JIS read as GB18030
 * gives characters outside GB2312, GB18030 read as Shift_JIS gives half-width katakana.
 */
function plausibility(encoding: TextEncoding, text: string): number {
  if (text.includes('\ufffd')) return 0;
  let typical = 0;
  let counted = 0;
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c.charCodeAt(0) < 0x80) continue;
    if (encoding === 'windows-1252') {
      if (TYPOGRAPHY.test(c)) continue;
      counted++;
      if (LATIN_LETTER.test(c) && (ASCII_LETTER.test(chars[i - 1] ?? '') || ASCII_LETTER.test(chars[i + 1] ?? ''))) typical++;
    } else if (encoding === 'gb18030') {
      counted++;
      // GB2312, the characters people type: two bytes, both in A1–FE.
      const bytes = iconv.encode(c, 'gb18030');
      if (bytes.length === 2 && bytes[0] >= 0xa1 && bytes[1] >= 0xa1 && CJK.test(c)) typical++;
    } else {
      counted++;
      if (KANA.test(c) || CJK.test(c)) typical++;
    }
  }
  return counted === 0 ? 1 : typical / counted;
}

/** The sample up to its last line break, so that no character is cut in two. */
function wholeLines(sample: Buffer, complete: boolean): Buffer {
  if (complete) return sample;
  const end = sample.lastIndexOf(0x0a);
  return end > 0 ? sample.subarray(0, end + 1) : sample;
}

function isUtf8(sample: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** The encoding of a file from its first bytes (`complete` when they are the whole file). */
export function detectEncoding(sample: Buffer, complete: boolean): TextEncoding {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8';
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf-16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be';
  const lines = wholeLines(sample, complete);
  if (isUtf8(lines)) return 'utf-8';
  const scored = (['gb18030', 'shift_jis', 'windows-1252'] as const)
    .map((encoding) => ({ encoding, score: plausibility(encoding, iconv.decode(lines, encoding)) }))
    .sort((a, b) => b.score - a.score);
  if (scored[0].score >= MIN_PLAUSIBLE && scored[0].score > (scored[1]?.score ?? 0)) return scored[0].encoding;
  throw new TidingsError('CSV_INVALID', `the file is not UTF-8, and its encoding could not be told for sure: ${RESAVE_HINT}`, {});
}

export function parseEncoding(name: string): TextEncoding {
  const key = name.trim().toLowerCase().replace(/_/g, '-');
  const aliases: Record<string, TextEncoding> = {
    'utf-8': 'utf-8', utf8: 'utf-8', 'utf-16le': 'utf-16le', 'utf-16be': 'utf-16be', 'utf-16': 'utf-16le',
    gb18030: 'gb18030', gbk: 'gb18030', gb2312: 'gb18030', cp936: 'gb18030',
    'shift-jis': 'shift_jis', sjis: 'shift_jis', cp932: 'shift_jis', 'windows-31j': 'shift_jis',
    'windows-1252': 'windows-1252', cp1252: 'windows-1252', 'latin-1': 'windows-1252', latin1: 'windows-1252', 'iso-8859-1': 'windows-1252',
  };
  const encoding = aliases[key];
  if (!encoding) throw new TidingsError('INVALID_INPUT', `unknown encoding '${name}' (use ${SUPPORTED_ENCODINGS.join(', ')})`, { encoding: name });
  return encoding;
}

/** A decoder that refuses bytes that are not valid in its encoding, saying after which line. */
function strictDecoder(encoding: TextEncoding): { write(chunk: Buffer): string; end(): string } {
  if (encoding === 'utf-8') {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    return { write: (chunk) => decoder.decode(chunk, { stream: true }), end: () => decoder.decode() };
  }
  const decoder = iconv.getDecoder(encoding);
  return { write: (chunk) => decoder.write(chunk), end: () => decoder.end() ?? '' };
}

/**
 * Decodes a byte stream to text chunks, in the encoding given or the one detected from its first 64 KB
 * (reported through `onEncoding` before the first chunk). Bytes that are not valid in that encoding stop the
 * reading with an error naming the line; a legacy decoder's replacement characters are caught row by row by
 * the importer.
 */
export async function* decodeText(input: Readable | AsyncIterable<Buffer | string>, options: { encoding?: TextEncoding; onEncoding?: (encoding: TextEncoding) => void } = {}): AsyncGenerator<string> {
  const pending: Buffer[] = [];
  let size = 0;
  let decoder: ReturnType<typeof strictDecoder> | undefined;
  let linesDone = 0;
  const decode = (chunk: Buffer, last = false): string => {
    try {
      const text = decoder!.write(chunk) + (last ? decoder!.end() : '');
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) linesDone++;
      return text;
    } catch {
      // The line of the first byte that is not UTF-8: the chunk decoded leniently, up to its first replacement character.
      const lenient = new TextDecoder('utf-8').decode(chunk);
      const before = lenient.slice(0, Math.max(0, lenient.indexOf('\ufffd')));
      const line = linesDone + 1 + before.split('\n').length - 1;
      throw new TidingsError('CSV_INVALID', `line ${line}: the file is not valid UTF-8 from here on (part of it was saved in another encoding): ${RESAVE_HINT}`, { line });
    }
  };
  const start = (complete: boolean) => {
    const encoding = options.encoding ?? detectEncoding(Buffer.concat(pending), complete);
    options.onEncoding?.(encoding);
    decoder = strictDecoder(encoding);
  };
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    if (decoder) {
      const text = decode(chunk);
      if (text) yield text;
      continue;
    }
    pending.push(chunk);
    size += chunk.length;
    if (size < SAMPLE_BYTES) continue;
    start(false);
    const text = decode(Buffer.concat(pending.splice(0)));
    if (text) yield text;
  }
  if (!decoder) start(true);
  const rest = decode(Buffer.concat(pending.splice(0)), true);
  if (rest) yield rest;
}
