import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * The one set of rules for a subscriber's email address, used by the subscribe form, the API, the CLI and
 * imports alike. Accepted: a dot-atom local part (RFC 5322) that may hold non-ASCII characters (RFC 6531), `@`,
 * and a domain name of at least two labels, ASCII or Unicode (IDNA). Refused: quoted local parts, IP-address
 * domains, comments, display names, spaces and control characters: the forms real subscribers never have and
 * many mail servers refuse.
 *
 * The stored form keeps the local part as written (NFC-normalised) and puts the domain in its Unicode form,
 * lower-cased (`ÖMIL@Bücher.DE` and `ömil@xn--bcher-kva.de` are the same subscriber, and the database compares
 * addresses case-insensitively).
 */
export type AddressCheck = { ok: true; address: string } | { ok: false; problem: string };

/** RFC 5321: 64 octets for the local part, 254 for the whole path without its angle brackets. */
const MAX_LOCAL_OCTETS = 64;
const MAX_ADDRESS_OCTETS = 254;
/** atext of RFC 5322 plus any non-ASCII character (RFC 6531 UTF8-non-ascii) that is not a control, format or space. */
const LOCAL_ATOM = /^(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]|(?![\p{C}\p{Z}])[^\x00-\x7f])+$/u;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function checkEmailAddress(input: string): AddressCheck {
  const text = input.trim();
  if (text === '') return { ok: false, problem: 'missing email address' };
  const shown = text.length > 100 ? `${text.slice(0, 100)}…` : text;
  const bad = (why: string): AddressCheck => ({ ok: false, problem: `invalid email address '${shown}': ${why}` });
  if (/[\p{C}\p{Z}]/u.test(text)) return bad('it contains a space or an invisible character');
  const at = text.lastIndexOf('@');
  if (at < 0) return bad('it has no @');
  const local = text.slice(0, at).normalize('NFC');
  const domainInput = text.slice(at + 1);
  if (local === '') return bad('nothing before the @');
  if (domainInput === '') return bad('nothing after the @');
  if (local.includes('@')) return bad('it has more than one @');
  if (local.startsWith('"')) return bad('quoted local parts are not accepted');
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return bad('a dot cannot start or end the part before the @, or follow another dot');
  if (!local.split('.').every((atom) => LOCAL_ATOM.test(atom))) return bad('the part before the @ has a character addresses cannot have');
  if (Buffer.byteLength(local) > MAX_LOCAL_OCTETS) return bad(`the part before the @ is longer than ${MAX_LOCAL_OCTETS} bytes`);
  if (domainInput.startsWith('[')) return bad('IP-address domains are not accepted');
  const domain = checkDomain(domainInput);
  if ('why' in domain) return bad(domain.why);
  const { ascii, unicode } = domain;
  if (Buffer.byteLength(local) + 1 + ascii.length > MAX_ADDRESS_OCTETS) return bad(`it is longer than ${MAX_ADDRESS_OCTETS} characters`);
  return { ok: true, address: `${local}@${unicode}` };
}

type DomainCheck = { ascii: string; unicode: string } | { why: string };

/**
 * Domains already checked: a list holds a million addresses but few domains (an import checks each one once,
 * not once per row). Emptied when full, so it stays small whatever the input.
 */
const checkedDomains = new Map<string, DomainCheck>();
const MAX_CHECKED_DOMAINS = 10_000;

function checkDomain(domainInput: string): DomainCheck {
  let check = checkedDomains.get(domainInput);
  if (check) return check;
  check = domainVerdict(domainInput);
  if (checkedDomains.size >= MAX_CHECKED_DOMAINS) checkedDomains.clear();
  checkedDomains.set(domainInput, check);
  return check;
}

function domainVerdict(domainInput: string): DomainCheck {
  const ascii = domainToASCII(domainInput);
  if (!ascii) return { why: `'${domainInput}' is not a valid domain name` };
  const labels = ascii.split('.');
  if (labels.length < 2) return { why: `the domain '${domainInput}' has no dot (e.g. example.com)` };
  if (!labels.every((label) => LABEL.test(label))) return { why: `'${domainInput}' is not a valid domain name` };
  const tld = labels[labels.length - 1];
  if (/^\d+$/.test(tld)) return { why: 'IP-address domains are not accepted' };
  if (tld.length < 2) return { why: `the domain '${domainInput}' does not end in a top-level domain` };
  return { ascii, unicode: domainToUnicode(ascii) };
}

/** Why an address cannot be used, or null when it can. */
export function emailProblem(input: string): string | null {
  const check = checkEmailAddress(input);
  return check.ok ? null : check.problem;
}

/** An address as it goes on the wire, and whether the SMTP server must announce SMTPUTF8 (RFC 6531) to take it. */
export interface WireAddress {
  address: string;
  smtpUtf8: boolean;
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * A stored address in the form to put in the envelope and the To header. An ASCII local part with a Unicode
 * domain goes out with the domain's A-labels (`xn--…`), which every server takes; only a non-ASCII local part
 * needs SMTPUTF8, since it has no ASCII form. The common ASCII case costs one regular-expression test.
 */
export function wireAddress(address: string): WireAddress {
  if (ASCII.test(address)) return { address, smtpUtf8: false };
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = domainToASCII(address.slice(at + 1)) || address.slice(at + 1);
  return ASCII.test(local) ? { address: `${local}@${domain}`, smtpUtf8: false } : { address: `${local}@${domainToUnicode(domain)}`, smtpUtf8: true };
}
