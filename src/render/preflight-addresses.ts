import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Addresses no reader can reach. An issue is read on the readers' machines: an image or link on loopback, a
 * private network or a local-only name loads on the machine that wrote it and nowhere else, so it is dead in
 * every inbox. Preflight reports them (an error in production, a warning in development and tests, which
 * rightly send to a local SMTP server), and refuses an issue whose stored URLs were compiled under another
 * base than this server's, so it is never sent with URLs from an old configuration.
 */
const UNREACHABLE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  UNREACHABLE.addSubnet(network, prefix, 'ipv4');
}
UNREACHABLE.addAddress('::', 'ipv6');
UNREACHABLE.addAddress('::1', 'ipv6');
UNREACHABLE.addSubnet('fc00::', 7, 'ipv6');
UNREACHABLE.addSubnet('fe80::', 10, 'ipv6');

/** Names that resolve only on the local machine or network (RFC 6761, RFC 6762, RFC 8375, common LAN suffixes). */
const LOCAL_SUFFIXES = ['localhost', 'local', 'localdomain', 'internal', 'lan', 'home.arpa', 'home', 'corp'];

/** Why a URL's host cannot be reached from a reader's mail client, or undefined for a public one. */
export function unreachableHost(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)?.[1];
  const ip = mapped ?? host;
  if (isIPv4(ip)) {
    if (!UNREACHABLE.check(ip, 'ipv4')) return undefined;
    return ip.startsWith('127.') ? 'a loopback address' : ip.startsWith('169.254.') ? 'a link-local address' : 'a private network address';
  }
  if (isIPv6(host)) {
    if (!UNREACHABLE.check(host, 'ipv6')) return undefined;
    return host === '::1' ? 'a loopback address' : /^fe[89ab]/.test(host) ? 'a link-local address' : 'a private network address';
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return 'a loopback name';
  const suffix = LOCAL_SUFFIXES.find((s) => host.endsWith(`.${s}`));
  if (suffix) return `a local-network name (.${suffix})`;
  if (!host.includes('.')) return 'a name without a domain, known only on the local network';
  return undefined;
}

/** A preflight finding of these rules (the same shape as preflight.ts's Finding). */
export interface AddressFinding {
  rule: 'url-unreachable' | 'base-changed';
  severity: 'error' | 'warning';
  message: string;
  where: string;
}

/** The bases an issue's URLs were compiled under, or null for an issue stored before they were recorded. */
export interface CompiledBases {
  /** PUBLIC_URL (without a trailing slash): media store images are served under it. */
  publicUrl: string | null;
  /** ASSET_BASE_URL (with a trailing slash): relative image paths were resolved against it. */
  assetBaseUrl: string | null;
}

export interface AddressInput {
  /** The compiled HTML's image sources and link targets (slot markers excluded). */
  images: string[];
  links: string[];
  compiled: CompiledBases | null;
  current: { publicUrl: string; assetBaseUrl: string };
  /** 'error' when NODE_ENV=production, 'warning' otherwise. */
  severity: AddressFinding['severity'];
  /** Where a URL stands: the content file's line, or the issue. */
  locate: (url: string) => string;
  /** Before a send: PUBLIC_URL's own links (unsubscribe, web version, tracking) are checked too. */
  sending: boolean;
  /** Whether the issue was already sent (then its stored HTML is the record of what readers received). */
  sent?: boolean;
}

/**
 * The check as this server would run it: an error when NODE_ENV=production (mail goes to real inboxes), a
 * warning otherwise. `compiled` defaults to this server's bases (a file checked now compiles under them).
 */
export function addressCheckFor(
  config: { env: string; publicUrl: string; assetBaseUrl: string },
  compiled: CompiledBases | null = { publicUrl: config.publicUrl, assetBaseUrl: config.assetBaseUrl },
  sent = false,
): Omit<AddressInput, 'images' | 'links' | 'locate'> {
  return {
    compiled,
    current: { publicUrl: config.publicUrl, assetBaseUrl: config.assetBaseUrl },
    severity: config.env === 'production' ? 'error' : 'warning',
    sending: true,
    sent,
  };
}

const FIX_BASES = 'set PUBLIC_URL (and ASSET_BASE_URL, if images are served elsewhere) to the https address readers reach, e.g. https://news.example.com';

export function addressFindings(input: AddressInput): AddressFinding[] {
  const findings: AddressFinding[] = [];
  const { compiled, current, severity, locate } = input;
  const all = [...input.images, ...input.links];
  // Which base a compiled URL came from: media store images live under PUBLIC_URL/media/, which may itself lie
  // under ASSET_BASE_URL (both default to the same address), so they are told apart by that prefix first.
  const media = compiled?.publicUrl ? `${compiled.publicUrl}/media/` : undefined;
  const fromMedia = (url: string) => media !== undefined && url.startsWith(media);
  const fromAssets = (url: string) => !!compiled?.assetBaseUrl && url.startsWith(compiled.assetBaseUrl) && !fromMedia(url);

  if (input.sending) {
    const reason = unreachableHost(new URL(current.publicUrl).hostname);
    if (reason) {
      findings.push({
        rule: 'url-unreachable',
        severity,
        where: 'config PUBLIC_URL',
        message: `PUBLIC_URL ${current.publicUrl} is ${reason}: every message's unsubscribe, web-version and tracked links and its open pixel point at it, and no reader can open them. Before a real send, ${FIX_BASES}.`,
      });
    }
  }

  // Compiled under other bases than this server's: refused, not recompiled. The stored issue does not hold the
  // image files that stood next to its content file (they went to the media store under the old address; only
  // the compiled HTML knows them), so a recompile from the stored source could not make the same issue, and
  // rewriting URLs by their prefix would also change addresses the author wrote. Creating it again is exact.
  const staleAssets = !!compiled?.assetBaseUrl && compiled.assetBaseUrl !== current.assetBaseUrl && all.some(fromAssets);
  const staleMedia = !!compiled?.publicUrl && compiled.publicUrl !== current.publicUrl && all.some(fromMedia);
  const isStale = (url: string) => (staleAssets && fromAssets(url)) || (staleMedia && fromMedia(url));
  if (staleAssets || staleMedia) {
    const bases = [
      staleAssets ? `ASSET_BASE_URL ${compiled!.assetBaseUrl} (this server's: ${current.assetBaseUrl})` : '',
      staleMedia ? `PUBLIC_URL ${compiled!.publicUrl} (this server's: ${current.publicUrl}), under which its media store images are served` : '',
    ].filter(Boolean);
    const example = all.find(isStale)!;
    const again = input.sent ? ' It was already sent, so the stored issue keeps what its readers received: give the new one another slug (slug: in the file).' : '';
    findings.push({
      rule: 'base-changed',
      severity: 'error',
      where: locate(example),
      message: `the issue was compiled with ${bases.join(' and ')}: its images would point at the old address (e.g. '${example}'). Create it again with this configuration: tidings issue create <file> (or POST /api/issues).${again}`,
    });
  }

  // Grouped by origin: one finding says what every image on http://localhost:3000 has in common. URLs the
  // stale-base finding covers are left to it: creating the issue again replaces them.
  const byOrigin = new Map<string, { reason: string; images: string[]; links: string[] }>();
  const note = (url: string, kind: 'images' | 'links') => {
    if (isStale(url)) return;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return; // the link rules report URLs that do not parse
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return;
    const reason = unreachableHost(parsed.hostname);
    // A host without a dot in the content is a typo the url-malformed rule reports (`https://github/x`).
    if (!reason || (!parsed.hostname.includes('.') && parsed.hostname !== 'localhost')) return;
    const entry = byOrigin.get(parsed.origin) ?? { reason, images: [], links: [] };
    entry[kind].push(url);
    byOrigin.set(parsed.origin, entry);
  };
  input.images.forEach((u) => note(u, 'images'));
  input.links.forEach((u) => note(u, 'links'));
  for (const [origin, { reason, images, links }] of byOrigin) {
    const what = [images.length ? `${images.length} image(s)` : '', links.length ? `${links.length} link(s)` : ''].filter(Boolean).join(' and ');
    const urls = [...images, ...links];
    const bases = [
      urls.some(fromMedia) ? `PUBLIC_URL ${compiled!.publicUrl} (media store images are served under it)` : '',
      urls.some(fromAssets) ? `ASSET_BASE_URL ${compiled!.assetBaseUrl}` : '',
    ].filter(Boolean);
    const from = bases.length
      ? `The issue was compiled with ${bases.join(' and ')}: ${FIX_BASES}, then create the issue again (tidings issue create <file>).`
      : 'Replace them in the content file with public addresses.';
    findings.push({
      rule: 'url-unreachable',
      severity,
      where: locate(urls[0]),
      message: `${what} point at ${origin}, ${reason}, e.g. '${urls[0]}': no reader's mail client can load them. ${from}`,
    });
  }
  return findings;
}
