import type { IncomingMessage, ServerResponse } from 'node:http';
import encodeUrl from 'encodeurl';
import proxyAddr from 'proxy-addr';
import type { Config } from '../config';
import type { TrackedEvent } from '../db/events';
import type { Logger } from '../log';
import { recordHttpRequest } from '../metrics';
import type { Links } from '../security/links';
import type { ClickTargets } from './click-targets';
import { BurstDetector, clickFlags, openFlags } from './event-flags';
import { notice, requestCatalogue } from './pages';
import { securityHeaders } from './security-headers';

/** The 43-byte transparent 1×1 GIF. */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

export interface TrackingHitsDeps {
  links: Links;
  events: { add(event: TrackedEvent): void };
  clickTargets: ClickTargets;
  log: Logger;
  /** TRUST_PROXY, as Express reads it: which X-Forwarded-For hops are believed. */
  trustProxy: Config['trustProxy'];
}

// A click link that does not decode belongs to no list: the reader's browser languages decide.
const NOT_FOUND_PAGE = (req: IncomingMessage) => { const t = requestCatalogue(req); return notice(t, t.notFoundTitle, t.notFoundBody); };
const ERROR_PAGE = (req: IncomingMessage) => { const t = requestCatalogue(req); return notice(t, t.errorTitle, t.errorBody); };

/** TRUST_PROXY as Express compiles it ('trust proxy' setting): a hop count, or addresses and subnets. */
function compileTrust(value: Config['trustProxy']): (address: string, hop: number) => boolean {
  if (value === false) return () => false;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return proxyAddr.compile(value.split(',').map((part) => part.trim()));
}

/**
 * The two routes every message's readers hit: GET /o/:token (the open pixel) and GET /c/:token/:linkId (a
 * tracked link). `handle` answers them straight on node:http, in front of Express (whose middleware stack
 * costs more than the answer itself), with the same security headers; Express mounts the same handlers
 * for requests the fast path leaves to it.
 *
 * Open: the image is always served (a reader never sees a broken image); a valid token answers 200 and
 * the open goes into the event buffer (written in batches, flushed on shutdown); machine opens (Apple
 * Mail Privacy Protection, Google/Yahoo image proxies) are stored with flags; a token that does not verify
 * records nothing and answers 404. No cookies, ever.
 *
 * Click: the target is looked up server-side in the link table by (the delivery's issue, linkId),
 * batched with the clicks arriving at the same time: nothing in the URL is ever redirected to, so there is
 * no open redirect, and a link id of another issue answers 404. Every click is recorded; suspected scanner
 * clicks (HEAD, known agents, within seconds of sending, every link at once) carry flags.
 */
export class TrackingHits {
  private readonly headers = securityHeaders();
  private readonly pixelHeaders: Record<string, string>;
  private readonly bursts = new BurstDetector();
  private readonly trust: (address: string, hop: number) => boolean;

  constructor(private readonly deps: TrackingHitsDeps) {
    this.trust = compileTrust(deps.trustProxy);
    this.pixelHeaders = {
      ...this.headers,
      'Content-Type': 'image/gif',
      'Cache-Control': 'no-store, no-cache, must-revalidate, private',
      'Content-Length': String(PIXEL_GIF.length),
    };
  }

  /** Answers GET and HEAD of /o/:token and /c/:token/:linkId and returns true; false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '';
    const isOpen = url.startsWith('/o/');
    if (!isOpen && !url.startsWith('/c/')) return false;
    const query = url.indexOf('?');
    const path = query < 0 ? url.slice(3) : url.slice(3, query);
    // Anything unusual (percent-escapes, a trailing slash, more segments) is left to Express's router.
    if (path.length === 0 || path.includes('%')) return false;
    const slash = path.indexOf('/');
    if (isOpen ? slash >= 0 : slash <= 0 || slash === path.length - 1 || path.indexOf('/', slash + 1) >= 0) return false;
    const started = process.hrtime.bigint();
    const route = isOpen ? '/o/:token' : '/c/:token/:linkId';
    res.once('finish', () => recordHttpRequest(req.method!, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
    if (isOpen) this.open(req, res, path);
    else void this.click(req, res, path.slice(0, slash), path.slice(slash + 1));
    return true;
  }

  open(req: IncomingMessage, res: ServerResponse, token: string): void {
    const open = this.deps.links.readOpen(token.endsWith('.gif') ? token.slice(0, -4) : token);
    if (open) {
      const userAgent = (req.headers['user-agent'] ?? '').slice(0, 300);
      this.deps.events.add({
        type: 'open',
        deliveryId: open.deliveryId,
        occurredAt: new Date(),
        flags: openFlags(userAgent, this.clientIp(req)),
        data: { userAgent },
      });
    }
    res.writeHead(open ? 200 : 404, this.pixelHeaders).end(PIXEL_GIF);
  }

  async click(req: IncomingMessage, res: ServerResponse, token: string, linkIdText: string): Promise<void> {
    const click = this.deps.links.readClick(token);
    const linkId = /^\d{1,9}$/.test(linkIdText) ? Number(linkIdText) : 0;
    let target;
    try {
      target = click && linkId > 0 ? await this.deps.clickTargets.find(click.deliveryId, linkId) : undefined;
    } catch (err) {
      this.deps.log.error({ event: 'http.error', err }, 'could not look up a tracked link');
      return this.page(res, 500, ERROR_PAGE(req));
    }
    if (!target) return this.page(res, 404, NOT_FOUND_PAGE(req));
    const now = new Date();
    const userAgent = (req.headers['user-agent'] ?? '').slice(0, 300);
    const flags = clickFlags({
      method: req.method ?? 'GET',
      userAgent,
      sentAt: target.sentAt,
      now,
      burst: this.bursts.click(target.deliveryId, linkId, now.getTime()),
    });
    this.deps.events.add({ type: 'click', deliveryId: target.deliveryId, occurredAt: now, flags, data: { linkId, userAgent } });
    res.writeHead(302, { ...this.headers, 'Cache-Control': 'no-store, private', Location: encodeUrl(target.url), 'Content-Length': '0' }).end();
  }

  /** The client's address, believing X-Forwarded-For only from the proxies TRUST_PROXY names (as Express does). */
  private clientIp(req: IncomingMessage): string {
    return proxyAddr(req, this.trust);
  }

  private page(res: ServerResponse, status: number, html: string): void {
    const body = Buffer.from(html);
    res.writeHead(status, { ...this.headers, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length) }).end(body);
  }
}
