import { execFile } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { DkimSigner, relaxedHeader, SIGNED_HEADERS, simpleBodyHash } from '../src/mail/dkim';
import { dkimTxtRecord } from '../src/security/dkim-keys';
import { MessageTemplate } from '../src/mail/message-template';
import { marker } from '../src/render/slots';
import { verifyDkim } from './dkim-helpers';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ed = generateKeyPairSync('ed25519').privateKey;

function template(dkim: DkimSigner, unsubscribeMailto?: string) {
  return new MessageTemplate({
    sendId: 7,
    listId: 3,
    issueId: 5,
    from: { name: '数据生活 LifeWithData', address: 'news@example.com' },
    subject: '[ML UTD 32] 最新的机器学习—数据生活',
    list: { name: 'ML UTD 周刊', slug: 'weekly' },
    sendingDomain: 'example.com',
    html: `<p>你好 ${marker('name')}</p><a href="${marker('unsubscribeUrl')}">Unsubscribe</a><img src="${marker('openPixelUrl')}">`,
    text: `你好 ${marker('name')}\nUnsubscribe: ${marker('unsubscribeUrl')}\n`,
    unsubscribeMailto,
    dkim,
  });
}

const records = (k: Record<string, KeyObject>) => Object.fromEntries(Object.entries(k).map(([s, key]) => [`${s}._domainkey.example.com`, dkimTxtRecord(key)]));

describe('DKIM signing of prebuilt messages', () => {
  const longUrl = `https://newsletter.example.com/unsubscribe/${'Ab9_'.repeat(30)}`;
  const recipient = { deliveryId: 42, email: 'reader@example.org', name: 'Zoë 王 <x>', unsubscribeUrl: longUrl, openPixelUrl: 'https://newsletter.example.com/o/abc' };

  it('signs with RSA and Ed25519; mailauth verifies both, with a List-Unsubscribe URL longer than 78 characters', async () => {
    expect(longUrl.length).toBeGreaterThan(78);
    const signer = new DkimSigner([
      { domain: 'example.com', selector: 'rsa2026', privateKey: rsa },
      { domain: 'example.com', selector: 'ed2026', privateKey: ed },
    ]);
    const raw = template(signer, 'unsubscribe@example.com').render(recipient);
    const head = raw.toString('latin1').split('\r\n\r\n')[0];
    // Both signatures are present (nodemailer would silently have dropped the Ed25519 one).
    expect(head.match(/^DKIM-Signature:/gm)).toHaveLength(2);
    expect(head).toContain('a=rsa-sha256');
    expect(head).toContain('a=ed25519-sha256');
    // Every line is at most 78 characters, except the URLs of List-Unsubscribe (a URL cannot be folded).
    for (const field of head.split(/\r\n(?![ \t])/)) {
      if (/^List-Unsubscribe:/.test(field)) continue;
      for (const line of field.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    }
    const results = await verifyDkim(raw, records({ rsa2026: rsa, ed2026: ed }));
    expect(results.map((r) => [r.status.header.s, r.status.result])).toEqual([
      ['rsa2026', 'pass'],
      ['ed2026', 'pass'],
    ]);
    const h = /h=([^;]+);/.exec(head.replace(/\r\n /g, ' '))![1].replace(/\s+/g, '').split(':');
    for (const name of ['from', 'to', 'subject', 'date', 'message-id', 'list-id', 'list-unsubscribe', 'list-unsubscribe-post', 'feedback-id']) {
      expect(h).toContain(name);
    }
  });

  it('fails verification when the body, a signed header or the key changes', async () => {
    const signer = new DkimSigner([{ domain: 'example.com', selector: 'rsa2026', privateKey: rsa }]);
    const raw = template(signer).render(recipient).toString('latin1');
    // One letter of the body changes case.
    const letter = raw.slice(raw.indexOf('\r\n\r\n') + 200).search(/[a-z]/) + raw.indexOf('\r\n\r\n') + 200;
    const changedBody = Buffer.from(raw.slice(0, letter) + raw[letter].toUpperCase() + raw.slice(letter + 1), 'latin1');
    const changedHeader = Buffer.from(raw.replace('List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'List-Unsubscribe-Post: List-Unsubscribe=One-Click2'), 'latin1');
    const added = Buffer.from(raw.replace('\r\nTo: ', '\r\nList-Unsubscribe: <https://evil.example/u>\r\nTo: '), 'latin1');
    for (const tampered of [changedBody, changedHeader, added]) {
      const [result] = await verifyDkim(tampered, records({ rsa2026: rsa }));
      expect(result.status.result).not.toBe('pass');
    }
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const [wrongKey] = await verifyDkim(Buffer.from(raw, 'latin1'), records({ rsa2026: other }));
    expect(wrongKey.status.result).not.toBe('pass');
  });

  it('canonicalizes headers and body as RFC 6376 says', () => {
    expect(relaxedHeader('Subject:  Hello \r\n\t World  ')).toBe('subject:Hello World');
    expect(simpleBodyHash([Buffer.from('')])).toBe(simpleBodyHash([Buffer.from('\r\n')]));
    expect(simpleBodyHash([Buffer.from('a\r\n\r\n\r\n')])).toBe(simpleBodyHash([Buffer.from('a\r\n')]));
    expect(simpleBodyHash([Buffer.from('a\r\n'), Buffer.from('\r\n')])).toBe(simpleBodyHash([Buffer.from('a\r\n')]));
    expect(simpleBodyHash([Buffer.from('ab'), Buffer.from('cd\r\n')])).toBe(simpleBodyHash([Buffer.from('abcd\r\n')]));
    expect(SIGNED_HEADERS.filter((n) => n === 'from')).toHaveLength(2);
  });
});

describe('DKIM, VERP and proxy configuration', () => {
  const base = { NODE_ENV: 'test', DKIM_DOMAIN: 'example.com', DKIM_SELECTOR: 's1' };
  const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'pkcs8' }).toString();

  it('reads the key inline or from a file, and checks it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tidings-dkim-'));
    const file = path.join(dir, 'k.pem');
    await writeFile(file, pem(rsa));
    expect(loadConfig({ ...base, DKIM_PRIVATE_KEY: file }).dkim).toMatchObject({ domain: 'example.com', selector: 's1' });
    expect(loadConfig({ ...base, DKIM_PRIVATE_KEY: pem(rsa), DKIM_ED25519_KEY: pem(ed) }).dkim?.ed25519?.selector).toBe('s1-ed25519');
    expect(loadConfig({ NODE_ENV: 'test' }).dkim).toBeUndefined();
  });

  it('names the variable that is wrong', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => loadConfig({ ...base, DKIM_PRIVATE_KEY: pem(weak) })).toThrow(/^DKIM_PRIVATE_KEY: is a 1024-bit RSA key/);
    expect(() => loadConfig({ ...base, DKIM_PRIVATE_KEY: '/no/such/key.pem' })).toThrow(/^DKIM_PRIVATE_KEY: is neither a PEM key nor a readable file/);
    expect(() => loadConfig({ NODE_ENV: 'test', DKIM_DOMAIN: 'example.com', DKIM_PRIVATE_KEY: pem(rsa) })).toThrow(/^DKIM_SELECTOR: must be set too/);
    expect(() => loadConfig({ ...base, DKIM_PRIVATE_KEY: pem(rsa), DKIM_ED25519_KEY: 'garbage-----BEGIN' })).toThrow(/^DKIM_ED25519_KEY: is not a PEM private key/);
    expect(() => loadConfig({ NODE_ENV: 'test', BOUNCE_DOMAIN: 'not a domain' })).toThrow(/^BOUNCE_DOMAIN:/);
    expect(() => loadConfig({ NODE_ENV: 'test', LIST_UNSUBSCRIBE_MAILTO: 'Name <u@x.com>' })).toThrow(/^LIST_UNSUBSCRIBE_MAILTO:/);
    expect(() => loadConfig({ NODE_ENV: 'test', TRUST_PROXY: 'yes please' })).toThrow(/^TRUST_PROXY:/);
    expect(loadConfig({ NODE_ENV: 'test', TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ NODE_ENV: 'test' }).trustProxy).toBe(false);
  });

  it('`tidings dkim keygen` writes a key that signs and prints the TXT record that verifies it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tidings-keygen-'));
    const { stdout } = await promisify(execFile)('node', ['bin/tidings.mjs', 'dkim', 'keygen', '--domain', 'example.com', '--selector', 'k1', '--out', dir, '--json'], {
      cwd: path.resolve(__dirname, '..'),
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result.id).toBe('k1._domainkey.example.com');
    const config = loadConfig({ ...base, DKIM_SELECTOR: 'k1', DKIM_PRIVATE_KEY: result.file });
    const { dkimSignerFor } = await import('../src/mail/dkim');
    const raw = template(dkimSignerFor(config)!).render({
      deliveryId: 1,
      email: 'a@example.org',
      name: 'A',
      unsubscribeUrl: 'https://n.example.com/unsubscribe/x',
      openPixelUrl: 'https://n.example.com/o/x',
    });
    const [verified] = await verifyDkim(raw, { 'k1._domainkey.example.com': result.record.value });
    expect(verified.status.result).toBe('pass');
    expect((await readFile(result.file, 'utf8')).startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
  });
});
