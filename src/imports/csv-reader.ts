/**
 * A small streaming CSV reader that knows the line each record starts on (csv-parse's per-record line info
 * costs three times its parsing, which dominates a million-row import). RFC 4180 quoting (`"`, `""` escapes,
 * line breaks inside quotes), LF, CRLF or old-Mac CR line ends, a UTF-8 BOM dropped, unquoted fields
 * trimmed, empty lines skipped. The separator is comma, semicolon or tab, told from the header line unless given.
 *
 * Mistakes stay on their own line: a record that breaks the quoting rules comes back as an error with its line.
 * A quote that is never closed (by the end of the file, within MAX_RECORD_LINES lines, or so that the record
 * comes out with another number of fields than the header) rejects the line it was opened on, and the lines
 * after it are read again as records of their own, instead of being swallowed into one field.
 */
export type CsvRow = { line: number; fields: string[]; error?: undefined } | { line: number; error: string; fields?: undefined };

export type Delimiter = ',' | ';' | '\t';
const DELIMITERS: readonly Delimiter[] = [',', ';', '\t'];
export const DELIMITER_NAMES: Record<Delimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };

/** A quoted field may run over this many lines (a long note); past that, its quote is taken as never closed. */
const MAX_RECORD_LINES = 100;
const MAX_RECORD_CHARS = 1 << 20;

type Parsed = { fields: string[] } | { open: true } | { error: string };

/** The separator a header line uses most, outside quotes (comma when it has none). */
export function detectDelimiter(line: string): Delimiter {
  const counts = new Map<Delimiter, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && counts.has(c as Delimiter)) counts.set(c as Delimiter, counts.get(c as Delimiter)! + 1);
  }
  let best: Delimiter = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

/** One record's text (one line, or several when quotes hold line breaks), without its final line end. */
function parseRecord(text: string, d: Delimiter): Parsed {
  const end = text.endsWith('\r') ? text.length - 1 : text.length;
  if (!text.includes('"')) {
    const fields = text.slice(0, end).split(d);
    for (let i = 0; i < fields.length; i++) fields[i] = fields[i].trim();
    return { fields };
  }
  const fields: string[] = [];
  const dc = d.charCodeAt(0);
  let i = 0;
  for (;;) {
    // Leading blanks (a tab is the separator itself in a tab-separated file).
    while (i < end && (text.charCodeAt(i) === 32 || (text.charCodeAt(i) === 9 && dc !== 9))) i++;
    if (text.charCodeAt(i) === 34) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0 || q >= end) return { open: true };
        value += text.slice(from, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      while (i < end && (text.charCodeAt(i) === 32 || (text.charCodeAt(i) === 9 && dc !== 9))) i++;
      fields.push(value);
      if (i >= end) return { fields };
      if (text.charCodeAt(i) !== dc) return { error: `malformed CSV: unexpected character '${text[i]}' after a closing quote` };
      i++;
      continue;
    }
    const next = text.indexOf(d, i);
    const stop = next < 0 || next >= end ? end : next;
    fields.push(text.slice(i, stop).trim());
    if (stop >= end) return { fields };
    i = stop + 1;
  }
}

export class CsvReader {
  private delimiter: Delimiter | undefined;
  /** The field count of the first record (the header), which a record spanning lines must match. */
  private expectedFields = 0;
  private rest = '';
  private line = 0;
  private started = false;
  /** The file ends its lines with CR alone (Excel for Mac before 2016). */
  private crOnly = false;
  /** A record whose quote has not closed yet: the lines read so far, from the one it starts on. */
  private pending: { line: number; lines: string[]; chars: number } | undefined;

  constructor(options: { delimiter?: Delimiter } = {}) {
    this.delimiter = options.delimiter;
  }

  /** The separator in use: given, or told from the first line (undefined before it). */
  get separator(): Delimiter | undefined {
    return this.delimiter;
  }

  /** Parses a chunk of text; returns the records completed in it. */
  push(chunk: string): CsvRow[] {
    let text = chunk;
    if (!this.started) {
      if (!text) return [];
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const cr = text.indexOf('\r');
      this.crOnly = cr >= 0 && cr < text.length - 1 && !text.includes('\n');
    }
    if (this.crOnly) text = text.replace(/\r/g, '\n');
    const out: CsvRow[] = [];
    text = this.rest + text;
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      this.take(text.slice(from, nl), out);
      from = nl + 1;
    }
    this.rest = text.slice(from);
    return out;
  }

  /** Ends the input: the last line without a line end, and a quote still open. */
  end(): CsvRow[] {
    const out: CsvRow[] = [];
    if (this.rest) this.take(this.rest, out);
    this.rest = '';
    while (this.pending) this.giveUp(out, 'is never closed');
    return out;
  }

  private take(lineText: string, out: CsvRow[]): void {
    this.line++;
    this.readLine(this.line, lineText, out);
  }

  private readLine(lineNo: number, lineText: string, out: CsvRow[]): void {
    let pending = this.pending;
    if (!pending) {
      if (lineText === '' || lineText === '\r' || /^[ \t\r]*$/.test(lineText)) return;
      this.delimiter ??= detectDelimiter(lineText);
      pending = { line: lineNo, lines: [], chars: 0 };
    }
    pending.lines.push(lineText);
    pending.chars += lineText.length + 1;
    const parsed = parseRecord(pending.lines.length === 1 ? lineText : pending.lines.join('\n'), this.delimiter!);
    const multiLine = pending.lines.length > 1;
    if ('open' in parsed) {
      this.pending = pending;
      if (pending.lines.length >= MAX_RECORD_LINES || pending.chars > MAX_RECORD_CHARS) this.giveUp(out, `is not closed within ${MAX_RECORD_LINES} lines`);
      return;
    }
    if (multiLine && ('error' in parsed || (this.expectedFields && parsed.fields.length !== this.expectedFields))) {
      this.pending = pending;
      this.giveUp(out, 'is not closed on its line');
      return;
    }
    this.pending = undefined;
    if ('error' in parsed) {
      out.push({ line: pending.line, error: parsed.error });
      return;
    }
    if (parsed.fields.length === 1 && parsed.fields[0] === '') return;
    if (!this.expectedFields) this.expectedFields = parsed.fields.length;
    out.push({ line: pending.line, fields: parsed.fields });
  }

  /** Rejects the line the open quote started on, and reads the lines after it again as records of their own. */
  private giveUp(out: CsvRow[], why: string): void {
    const pending = this.pending!;
    this.pending = undefined;
    out.push({ line: pending.line, error: `malformed CSV: quote opened on line ${pending.line} ${why}` });
    pending.lines.slice(1).forEach((text, i) => this.readLine(pending.line + 1 + i, text, out));
  }
}

/** Reads text chunks as CSV, yielding the records of each chunk together. */
export async function* readCsv(input: AsyncIterable<string>, reader = new CsvReader()): AsyncGenerator<CsvRow[]> {
  for await (const chunk of input) {
    const rows = reader.push(chunk);
    if (rows.length) yield rows;
  }
  const rows = reader.end();
  if (rows.length) yield rows;
}
