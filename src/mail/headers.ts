/**
 * Header encoding for prebuilt messages: RFC 5322 folding at 78 characters and RFC 2047 encoded-words for
 * non-ASCII text. Pure functions; every line they produce is ASCII.
 */
const MAX_LINE = 78;
// 39 UTF-8 bytes → 52 base64 characters → a 64-character encoded-word, which fits after "Subject: ".
const MAX_WORD_BYTES = 39;

const isPrintableAscii = (value: string) => /^[\x20-\x7e]*$/.test(value);

/** Splits text into RFC 2047 "B" encoded-words, never cutting a UTF-8 character in two. */
export function encodeWords(text: string): string[] {
  const words: string[] = [];
  let chunk = '';
  let chunkBytes = 0;
  for (const ch of text) {
    const bytes = Buffer.byteLength(ch);
    if (chunkBytes + bytes > MAX_WORD_BYTES) {
      words.push(chunk);
      chunk = '';
      chunkBytes = 0;
    }
    chunk += ch;
    chunkBytes += bytes;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`);
}

/** Folds `Name: token token …` into lines of at most 78 characters, breaking only between tokens. */
export function foldHeader(name: string, tokens: string[]): string {
  let out = `${name}:`;
  let lineLength = out.length;
  for (const token of tokens) {
    if (lineLength + 1 + token.length > MAX_LINE && lineLength > name.length + 1) {
      out += '\r\n ' + token;
      lineLength = 1 + token.length;
    } else {
      out += ' ' + token;
      lineLength += 1 + token.length;
    }
  }
  return out;
}

/** An unstructured header (Subject): plain when it is short printable ASCII, encoded-words otherwise. */
export function unstructuredHeader(name: string, value: string): string {
  if (isPrintableAscii(value) && !/=\?/.test(value)) {
    const tokens = value.split(' ');
    const folded = foldHeader(name, tokens);
    if (folded.split('\r\n').every((line) => line.length <= MAX_LINE)) return folded;
  }
  return foldHeader(name, encodeWords(value));
}

/** The tokens of a display name: bare atoms, a quoted string, or encoded-words. */
export function phraseTokens(phrase: string): string[] {
  if (!phrase) return [];
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(phrase) && phrase.trim() === phrase && !phrase.includes('  ')) {
    return phrase.split(' ');
  }
  if (isPrintableAscii(phrase) && phrase.length <= 60) return [`"${phrase.replace(/(["\\])/g, '\\$1')}"`];
  return encodeWords(phrase);
}

/** An address header (From, To): `Name <address>`, with the name encoded as needed. */
export function mailboxHeader(name: string, displayName: string, address: string): string {
  return foldHeader(name, [...phraseTokens(displayName), `<${address}>`]);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 date-time in UTC, e.g. `Fri, 27 Nov 2026 06:09:30 +0000`. */
export function rfc5322Date(date: Date): string {
  return `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
