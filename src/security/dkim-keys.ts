import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

// DKIM keys apart from the signer (src/mail/dkim.ts): the config checks a key when it is read, and
// `tidings dkim keygen` prints the DNS record, without either depending on the mail layer.

/** Parses a PEM private key and checks it can sign: RSA of 2048 bits or more, or Ed25519. Throws a message saying what is wrong. */
export function parseDkimPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`is not a PEM private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new Error(`is a ${bits}-bit RSA key: use 2048 bits or more`);
  } else if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`is a ${key.asymmetricKeyType} key: use RSA (2048+ bits) or Ed25519`);
  }
  return key;
}

/** The DNS TXT record value that publishes a key's public half. */
export function dkimTxtRecord(privateKey: KeyObject): string {
  const publicKey = createPublicKey(privateKey);
  if (privateKey.asymmetricKeyType === 'ed25519') {
    // RFC 8463: p= is the raw 32-byte key, not the SubjectPublicKeyInfo.
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    return `v=DKIM1; k=ed25519; p=${raw.toString('base64')}`;
  }
  return `v=DKIM1; k=rsa; p=${publicKey.export({ format: 'der', type: 'spki' }).toString('base64')}`;
}
