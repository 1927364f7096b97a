import type { SplitTemplate } from '../render/slots';

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);
const LINE = 76;

interface Phase {
  /** Base64 of the literal's bytes after the first `skip` bytes, cut to whole 3-byte groups, in CRLF-ended lines. */
  body: Buffer;
  /** The 0–2 bytes left over at the end, carried into the next piece. */
  tail: Buffer;
}

interface Literal {
  bytes: Buffer;
  /** phases[k]: the literal when its first k bytes complete the previous piece's last base64 group. */
  phases: [Phase, Phase, Phase] | null;
}

/** Base64 in lines of at most 76 characters, each ended by CRLF. */
function base64Lines(bytes: Buffer): Buffer {
  if (bytes.length === 0) return EMPTY;
  const encoded = bytes.toString('base64');
  const lines = Math.ceil(encoded.length / LINE);
  const out = Buffer.allocUnsafe(encoded.length + lines * 2);
  let at = 0;
  for (let i = 0; i < encoded.length; i += LINE) {
    at += out.write(encoded.slice(i, i + LINE), at, 'latin1');
    out[at++] = 13;
    out[at++] = 10;
  }
  return out;
}

/**
 * A text body with slots, base64-encoded once per send. Per message only the bytes around each slot are
 * encoded: the value, plus the bytes needed to complete its 3-byte groups; everything between slots is
 * reused as prebuilt base64. Lines stay within RFC 2045's 76 characters (some lines at the slots are
 * shorter, which decoders accept), and the decoded result is exactly the filled-in text.
 *
 * This is what keeps a message's cost near "copy the bytes": base64-encoding the whole 100 KB body per
 * subscriber costs ~1–2 ms of CPU; this costs microseconds.
 */
export class Base64Template<S extends string> {
  private readonly literals: Literal[];
  private readonly slots: readonly S[];

  constructor(template: SplitTemplate<S>) {
    this.slots = template.slots;
    this.literals = template.literals.map((text) => {
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length < 3) return { bytes, phases: null };
      const phase = (skip: number): Phase => {
        const usable = bytes.length - skip;
        const whole = usable - (usable % 3);
        return { body: base64Lines(bytes.subarray(skip, skip + whole)), tail: bytes.subarray(skip + whole) };
      };
      return { bytes, phases: [phase(0), phase(1), phase(2)] };
    });
  }

  /** The chunks of the encoded body (CRLF-terminated lines); Buffer.concat them or write them in order. */
  render(values: Readonly<Record<S, Buffer>>): Buffer[] {
    // The bytes around the slots are gathered in `raw` (the previous piece's 0–2 leftover bytes, the value,
    // and the bytes that complete its last group) and encoded once per slot into one buffer for the whole
    // message: a handful of allocations per message rather than several per slot.
    let valueBytes = 0;
    for (const slot of this.slots) valueBytes += values[slot].length;
    const rawSize = valueBytes + 4 * (this.slots.length + this.literals.length) + 8;
    const raw = rawSize <= this.scratch.length ? this.scratch : (this.scratch = Buffer.allocUnsafeSlow(rawSize * 2));
    const encoded = Buffer.allocUnsafe(Math.ceil((rawSize * 4) / 3) + 2 * Math.ceil(rawSize / 57) + 4 * (this.slots.length + this.literals.length));
    const out: Buffer[] = [];
    let written = 0;
    let pending = 0;
    // Encodes raw[0, whole groups) as base64 lines into `encoded`; keeps the 0–2 bytes left over.
    const flush = (final: boolean) => {
      const whole = final ? pending : pending - (pending % 3);
      if (whole > 0) {
        const text = raw.toString('base64', 0, whole);
        const start = written;
        for (let i = 0; i < text.length; i += LINE) {
          written += encoded.write(i === 0 && text.length <= LINE ? text : text.slice(i, i + LINE), written, 'latin1');
          encoded[written++] = 13;
          encoded[written++] = 10;
        }
        out.push(encoded.subarray(start, written));
        raw.copy(raw, 0, whole, pending);
        pending -= whole;
      }
    };
    for (let i = 0; i < this.literals.length; i++) {
      const literal = this.literals[i];
      const need = (3 - (pending % 3)) % 3;
      if (!literal.phases || literal.bytes.length <= need) {
        pending += literal.bytes.copy(raw, pending);
      } else {
        if (need > 0) pending += literal.bytes.copy(raw, pending, 0, need);
        flush(false);
        const phase = literal.phases[need];
        if (phase.body.length) out.push(phase.body);
        pending = phase.tail.copy(raw, 0);
      }
      if (i < this.slots.length) pending += values[this.slots[i]].copy(raw, pending);
    }
    flush(true);
    return out;
  }

  /** Where render gathers the raw bytes to encode (render is synchronous, so one per template is enough). */
  private scratch = Buffer.allocUnsafeSlow(4096);
}
