import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TidingsError } from '../../errors';
import { dkimTxtRecord, parseDkimPrivateKey } from '../../security/dkim-keys';

export interface KeygenOptions {
  domain: string;
  selector: string;
  type?: string;
  out?: string;
  json?: boolean;
}

/** DNS TXT strings are at most 255 characters: a long record is published as several quoted strings. */
export function txtStrings(value: string): string[] {
  return value.match(/.{1,255}/g) ?? [''];
}

/**
 * `tidings dkim keygen --domain d --selector s`: writes a new private key (PEM, mode 0600) and prints the
 * DNS TXT record to publish, and the variables to set. Needs no database or configuration.
 */
export async function dkimKeygenCommand(opts: KeygenOptions): Promise<void> {
  const type = opts.type ?? 'rsa';
  if (!/^[a-z0-9.-]+\.[a-z0-9-]+$/i.test(opts.domain)) throw new TidingsError('INVALID_INPUT', `--domain '${opts.domain}' is not a domain name like example.com`);
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(opts.selector)) throw new TidingsError('INVALID_INPUT', `--selector '${opts.selector}' is not a DNS label like mail2026`);
  if (type !== 'rsa' && type !== 'ed25519') throw new TidingsError('INVALID_INPUT', `--type must be rsa or ed25519, got '${type}'`);
  const { privateKey } = type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  parseDkimPrivateKey(pem);
  const dir = opts.out ?? 'dkim';
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${opts.selector}.${opts.domain}.${type}.pem`);
  await writeFile(file, pem, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    throw new TidingsError('INVALID_INPUT', err.code === 'EEXIST' ? `${file} already exists: pick another selector or --out` : `cannot write ${file}: ${err.message}`);
  });
  const name = `${opts.selector}._domainkey.${opts.domain}`;
  const value = dkimTxtRecord(privateKey);
  const variable = type === 'rsa' ? 'DKIM_PRIVATE_KEY' : 'DKIM_ED25519_KEY';
  if (opts.json) {
    process.stdout.write(JSON.stringify({ id: name, file, type, record: { name, type: 'TXT', value } }) + '\n');
    return;
  }
  const lines = [
    `wrote the private key to ${file} (keep it secret)`,
    '',
    'publish this DNS record:',
    `${name}. IN TXT ( ${txtStrings(value).map((s) => `"${s}"`).join(' ')} )`,
    '',
    'then set:',
    `DKIM_DOMAIN=${opts.domain}`,
    type === 'rsa' ? `DKIM_SELECTOR=${opts.selector}` : `DKIM_ED25519_SELECTOR=${opts.selector}`,
    `${variable}=${path.resolve(file)}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
