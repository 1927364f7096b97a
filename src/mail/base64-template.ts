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
    const out: Buffer[] = [];
    let carry: Buffer = EMPTY;
    // Encodes carry + bytes up to the last whole group and keeps the rest as the new carry.
    const dynamic = (bytes: Buffer) => {
      const all = carry.length ? Buffer.concat([carry, bytes]) : bytes;
      const whole = all.length - (all.length % 3);
      if (whole > 0) out.push(base64Lines(all.subarray(0, whole)));
      carry = all.subarray(whole);
    };
    for (let i = 0; i < this.literals.length; i++) {
      const literal = this.literals[i];
      const need = (3 - carry.length) % 3;
      if (!literal.phases || literal.bytes.length <= need) {
        dynamic(literal.bytes);
      } else {
        if (need > 0) dynamic(literal.bytes.subarray(0, need));
        const phase = literal.phases[need];
        if (phase.body.length) out.push(phase.body);
        carry = phase.tail;
      }
      if (i < this.slots.length) dynamic(values[this.slots[i]]);
    }
    if (carry.length) out.push(base64Lines(carry));
    return out;
  }
}
