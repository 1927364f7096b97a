import { TidingsError } from '../errors';
import type { PreparedMessage } from './message-template';
import { classifyReply, type ReplyClassification, type ReplyVerdict } from './reply-verdict';
import { smtpRouteName } from '../util/smtp-route-name';
import { SmtpPool } from './smtp-pool';

export interface Envelope {
  from: string;
  to: string;
}

export interface SendResult {
  /** The SMTP server's final reply, e.g. "250 2.0.0 Ok: queued as 4F2A1". */
  response: string;
  /** The SMTP route that carried the message (host:port). */
  route: string;
}

/** Sends one finished message. The engine depends on this, not on nodemailer. */
export interface Mailer {
  /**
   * `message`: any message as bytes, or one MessageTemplate prepared (written to the server as it is).
   * `route`: the route to take (one of preferredRoutes(), as the warm-up chose it); unset, the mailer's choice.
   */
  send(envelope: Envelope, message: Buffer | PreparedMessage, route?: string): Promise<SendResult>;
  /** The routes in the order the next message would try them (round robin, routes out of rotation last). */
  preferredRoutes?(): string[];
  close(): Promise<void>;
  /** Each route's circuit breaker as this process sees it (what the dashboard shows, via src/queue/route-health.ts). */
  breakers?(): RouteBreaker[];
}

/**
 * A route's circuit breaker: `closed` (in rotation), `open` (out after failing repeatedly at the connection
 * level, until `openUntil`), `half-open` (its time out is over: the next message tries it, and one success
 * closes it again).
 */
export interface RouteBreaker {
  name: string;
  state: 'closed' | 'open' | 'half-open';
  /** Connection-level failures in a row. */
  failures: number;
  /** When an open breaker lets the route be tried again (epoch ms). */
  openUntil: number | null;
  /** The last connection-level failure, in the server's or the socket's words, and when (epoch ms). */
  lastError: string | null;
  lastErrorAt: number | null;
}

/**
 * What an SMTP failure means for the delivery (from the reply table's verdict, src/mail/reply-verdict.ts):
 * - `recipient`: the server refused this address for good (hard or soft verdict) — failed, never retried, and
 *   applied as a bounce (a hard one suppresses the address, a soft one counts towards the soft-bounce streak);
 * - `sender`: a policy verdict (5.7.x, blocked, authentication) — failed, but it is our problem, not the
 *   subscriber's: nobody is suppressed;
 * - `throttled`: the route asks us to slow down — the queue holds back, the attempt is not counted (a bounded
 *   number of times);
 * - `temporary`: a 4xx about this recipient, a dropped connection or a timeout — retried on the retry schedule.
 */
export type SmtpFailureKind = 'recipient' | 'sender' | 'throttled' | 'temporary';

export class SmtpError extends TidingsError {
  constructor(
    readonly kind: SmtpFailureKind,
    readonly responseCode: number | undefined,
    readonly response: string,
    readonly route: string,
    recipient: string,
    cause: unknown,
    /** The reply table's reading of the reply (verdict, rule name, enhanced status). */
    readonly classification: ReplyClassification = classifyReply({ code: responseCode, text: response }),
  ) {
    const permanent = kind === 'recipient' || kind === 'sender';
    super(permanent ? 'SMTP_PERMANENT' : 'SMTP_TEMPORARY', `SMTP ${permanent ? 'refused' : 'could not take'} the message for ${recipient} via ${route}: ${response}`, {
      responseCode,
      recipient,
      route,
      kind,
    }, { cause });
    this.name = 'SmtpError';
  }

  get permanent(): boolean {
    return this.kind === 'recipient' || this.kind === 'sender';
  }

  get verdict(): ReplyVerdict {
    return this.classification.verdict;
  }
}

const FAILURE_KINDS: Record<ReplyVerdict, SmtpFailureKind> = {
  hard: 'recipient',
  soft: 'recipient',
  policy: 'sender',
  throttled: 'throttled',
  temporary: 'temporary',
};

const CONNECTION_FAILED = { name: 'connection-failed', meaning: 'transient', example: 'ECONNECTION: connect ECONNREFUSED' } as const;

/** An internationalised address met a route without SMTPUTF8: the route's limit, not the subscriber's fault. */
const NO_SMTPUTF8 = { name: 'route-without-smtputf8', meaning: 'policy', example: 'ESMTPUTF8: ömil@example.com is an internationalised address (RFC 6531) and this SMTP server does not announce SMTPUTF8' } as const;

/** Classifies a nodemailer error by the reply table: reply code, enhanced status code (RFC 3463) and text. */
export function classifySmtpError(err: unknown, recipient: string, route = 'smtp'): SmtpError {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  if (e.code === 'ESMTPUTF8') {
    return new SmtpError('sender', undefined, `ESMTPUTF8: ${e.message}`, route, recipient, err, { verdict: 'policy', rule: NO_SMTPUTF8, specific: true });
  }
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const response = (e.response ?? `${e.code ?? 'ERROR'}: ${e.message ?? String(err)}`).trim();
  // Without a reply code the connection failed (refused, timed out, dropped): temporary, whatever the text.
  const classification: ReplyClassification = code === undefined
    ? { verdict: 'temporary', rule: CONNECTION_FAILED, specific: true }
    : classifyReply({ code, text: response });
  return new SmtpError(FAILURE_KINDS[classification.verdict], code, response, route, recipient, err, classification);
}

export interface SmtpRoute {
  /** host:port, as recorded on deliveries. */
  name: string;
  url: string;
  poolSize: number;
}

/** Parses SMTP_URL: one or more URLs, comma-separated, each with an optional ?pool=N. */
export function parseSmtpRoutes(smtpUrl: string, defaultPoolSize: number): SmtpRoute[] {
  return smtpUrl.split(',').map((part) => {
    const url = new URL(part.trim());
    const pool = url.searchParams.get('pool');
    url.searchParams.delete('pool');
    const poolSize = pool === null ? defaultPoolSize : Number(pool);
    if (!Number.isInteger(poolSize) || poolSize < 1) throw new TidingsError('CONFIG_INVALID', `SMTP_URL: pool=${pool} is not a positive integer`);
    return { name: smtpRouteName(url), url: url.toString(), poolSize };
  });
}

/** One route's connection pool; messages go out `raw`, as built by MessageTemplate. */
function createPool(route: SmtpRoute): SmtpPool {
  // Retries are ours (recorded on the delivery, with backoff, and on another route when this one is out):
  // the pool itself never holds a message back for long.
  return new SmtpPool(route.url, { size: route.poolSize, maxMessages: 1000 });
}

export interface RoutedMailerOptions {
  /** Connection-level failures in a row that take a route out of rotation. */
  failureThreshold?: number;
  /** How long a failed route stays out before it is tried again. */
  cooldownMs?: number;
}

interface RouteState {
  route: SmtpRoute;
  pool: SmtpPool;
  failures: number;
  openUntil: number;
  lastError: string | null;
  lastErrorAt: number | null;
}

/**
 * Sends over one or more SMTP routes, round robin, each a connection pool. A route that fails repeatedly at
 * the connection level (refused, timed out, dropped) is taken out for a while (a circuit breaker) and its
 * work goes to the others, so one dead server does not stall a send. Refusals of a recipient say nothing
 * about the route and do not count.
 */
export class RoutedMailer implements Mailer {
  private readonly states: RouteState[];
  private next = 0;
  private readonly threshold: number;
  private readonly cooldownMs: number;

  constructor(routes: SmtpRoute[], options: RoutedMailerOptions = {}) {
    if (routes.length === 0) throw new TidingsError('CONFIG_INVALID', 'SMTP_URL: no route given');
    this.states = routes.map((route) => ({ route, pool: createPool(route), failures: 0, openUntil: 0, lastError: null, lastErrorAt: null }));
    this.threshold = options.failureThreshold ?? 5;
    this.cooldownMs = options.cooldownMs ?? 30_000;
  }

  get routes(): { name: string; available: boolean; failures: number }[] {
    const now = Date.now();
    return this.states.map((s) => ({ name: s.route.name, available: s.openUntil <= now, failures: s.failures }));
  }

  breakers(): RouteBreaker[] {
    const now = Date.now();
    return this.states.map((s) => ({
      name: s.route.name,
      state: s.openUntil > now ? 'open' : s.failures >= this.threshold ? 'half-open' : 'closed',
      failures: s.failures,
      openUntil: s.openUntil > now ? s.openUntil : null,
      lastError: s.lastError,
      lastErrorAt: s.lastErrorAt,
    }));
  }

  async send(envelope: Envelope, message: Buffer | PreparedMessage, route?: string): Promise<SendResult> {
    const state = (route !== undefined && this.states.find((s) => s.route.name === route)) || this.pick();
    try {
      const response = await state.pool.send(envelope.from, envelope.to, message);
      state.failures = 0;
      return { response, route: state.route.name };
    } catch (err) {
      const error = classifySmtpError(err, envelope.to, state.route.name);
      if (error.responseCode === undefined || error.responseCode === 421) {
        state.failures++;
        state.lastError = error.response;
        state.lastErrorAt = Date.now();
        if (state.failures >= this.threshold) state.openUntil = Date.now() + this.cooldownMs;
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const state of this.states) state.pool.close();
  }

  preferredRoutes(): string[] {
    const now = Date.now();
    const start = this.next;
    this.next = (this.next + 1) % this.states.length;
    const order = this.states.map((_, i) => this.states[(start + i) % this.states.length]);
    return [...order.filter((s) => s.openUntil <= now), ...order.filter((s) => s.openUntil > now)].map((s) => s.route.name);
  }

  private pick(): RouteState {
    const now = Date.now();
    for (let i = 0; i < this.states.length; i++) {
      const state = this.states[(this.next + i) % this.states.length];
      if (state.openUntil <= now) {
        this.next = (this.next + i + 1) % this.states.length;
        return state;
      }
    }
    // Every route is out: try the one that comes back first rather than stall.
    return this.states.reduce((a, b) => (a.openUntil <= b.openUntil ? a : b));
  }
}

/** A mailer over SMTP_URL (one or more routes). */
export function createSmtpMailer(options: { url: string; poolSize: number } & RoutedMailerOptions): RoutedMailer {
  return new RoutedMailer(parseSmtpRoutes(options.url, options.poolSize), options);
}
