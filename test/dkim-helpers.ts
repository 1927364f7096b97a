import { authenticate } from 'mailauth';

/** A DNS resolver that publishes the given TXT records only (mailauth's `resolver` option). */
export function stubResolver(records: Record<string, string>) {
  return async (name: string, type: string) => {
    if (type === 'TXT' && records[name.toLowerCase()]) return [[records[name.toLowerCase()]]];
    throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
  };
}

export async function verifyDkim(raw: Buffer, records: Record<string, string>) {
  const result = await authenticate(raw, {
    resolver: stubResolver(records),
    ip: '127.0.0.1',
    helo: 'localhost',
    sender: 'news@example.com',
    mta: 'mx.test',
    disableArc: true,
    disableDmarc: true,
    disableBimi: true,
  });
  return result.dkim.results as unknown as { status: { result: string; header: { s: string; a: string } }; signingHeaders?: { keys: string } }[];
}
