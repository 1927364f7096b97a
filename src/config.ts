import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';
import { clusterPrefix, parseClusterNodes, type RedisClusterTarget } from './queue/redis';
import { parseDkimPrivateKey } from './security/dkim-keys';
import { DEFAULT_RETRY_SCHEDULE, parseSteps, retrySchedule, type RetrySchedule } from './send/retry-schedule';
import { DEFAULT_PACE_POLICY, parseDomainLimits, type DomainLimits, type PacePolicy } from './send/domain-limits';
import { DEFAULT_AUTO_PAUSE, parsePercent, type AutoPausePolicy } from './send/auto-pause';
import { smtpRouteNames } from './util/smtp-route-name';
import { parseWarmup, type WarmupPlan } from './send/warmup';

/** Outgoing webhooks are tried again after 10 s, 1 min, …, then every 6 h (for WEBHOOK_RETRY_FOR_HOURS). */
const DEFAULT_WEBHOOK_RETRY_SCHEDULE = '10s,1m,5m,30m,1h,3h,6h';

/** A fixed key for development only; using it outside production is allowed with a loud warning. */
export const DEVELOPMENT_SECRET_KEY = 'tidings-development-secret-key-do-not-use-in-production';

const urlWithProtocols = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

const mailbox = z
  .string()
  .regex(/^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, 'must be an address like "Name <news@example.com>" or news@example.com');

const percent = z.string().superRefine((v, ctx) => {
  try {
    parsePercent(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** A retry schedule (`1m,5m,1h`), checked by the parser the workers use. */
const retrySteps = (fallback: string) =>
  z.string().default(fallback).superRefine((v, ctx) => {
    try {
      parseSteps(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:']).default('postgres://localhost:5432/tidings'),
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  // A Redis Cluster instead of REDIS_URL: host:port,host:port,… or redis[s]://[user:pass@]host:port,host:port,…
  REDIS_CLUSTER_NODES: z.string().optional(),
  // One or more SMTP routes, comma-separated; each may set its pool size with ?pool=N.
  SMTP_URL: z
    .string()
    .refine((value) => value.split(',').every((part) => {
      try {
        return ['smtp:', 'smtps:'].includes(new URL(part.trim()).protocol);
      } catch {
        return false;
      }
    }), 'must be one or more smtp:// or smtps:// URLs, comma-separated')
    .optional(),
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  // How message bodies travel: base64 (7-bit clean: survives any relay, and so does the DKIM signature) or
  // 8bit (UTF-8 as it is, a quarter fewer bytes, for servers with 8BITMIME; the others get base64).
  MESSAGE_ENCODING: z.enum(['8bit', 'base64']).default('base64'),
  PUBLIC_URL: urlWithProtocols(['http:', 'https:']).default('http://localhost:3000'),
  ASSET_BASE_URL: urlWithProtocols(['http:', 'https:']).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  MAIL_FROM: mailbox.default('Tidings <newsletter@tidings.localhost>'),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_{}.-]+$/, 'may hold letters, digits, _ . - { } only').default('tidings'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  SEND_RATE: z.coerce.number().int().min(1).optional(),
  // Per recipient domain: 'gmail.com,googlemail.com=40/s; yahoo.com,aol.com=20/s; *=200/s'.
  DOMAIN_LIMITS: z.string().optional(),
  DOMAIN_PACE_RECOVERY_SECONDS: z.coerce.number().min(0.1).max(3600).default(10),
  DELIVERY_LOCK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(120),
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().min(0.1).max(3600).default(30),
  // Deliver jobs the fan-out may queue ahead of the senders (0: no bound); Redis holds at most this many per send.
  FANOUT_AHEAD: z.coerce.number().int().min(0).default(50_000),
  FANOUT_JOBS: z.coerce.number().int().min(1).max(64).default(4),
  POLICY_FAILURE_LIMIT: z.coerce.number().int().min(1).default(50),
  // Temporary failures are retried after each step in turn (the last repeating) for RETRY_FOR_HOURS.
  RETRY_SCHEDULE: retrySteps(DEFAULT_RETRY_SCHEDULE),
  RETRY_FOR_HOURS: z.coerce.number().min(0).max(24 * 30).default(24),
  THROTTLES_PER_ATTEMPT: z.coerce.number().int().min(0).max(1000).default(5),
  THROTTLE_PAUSE_SECONDS: z.coerce.number().min(0.01).max(3600).default(5),
  OUTBOX_DIR: z.string().default('outbox'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Bounce and complaint webhooks (issue #6): each provider's route answers 404 until its secret is set.
  POSTMARK_WEBHOOK_USER: z.string().min(1).optional(),
  POSTMARK_WEBHOOK_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  SENDGRID_WEBHOOK_PUBLIC_KEY: z.string().min(40, 'must be the verification key SendGrid shows (base64) or a PEM').optional(),
  MAILGUN_SIGNING_KEY: z.string().min(16, 'must be the HTTP webhook signing key from Mailgun').optional(),
  SNS_CERT_URL_PATTERN: z.string().refine((v) => { try { new RegExp(v); return true; } catch { return false; } }, 'must be a regular expression').optional(),
  SES_TOPIC_ARNS: z.string().optional(),
  DKIM_DOMAIN: z.string().regex(/^[a-z0-9.-]+\.[a-z0-9-]+$/i, 'must be a domain name like example.com').optional(),
  DKIM_SELECTOR: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'must be a DNS label like mail2026').optional(),
  DKIM_PRIVATE_KEY: z.string().optional(),
  DKIM_ED25519_KEY: z.string().optional(),
  DKIM_ED25519_SELECTOR: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'must be a DNS label like ed2026').optional(),
  // The bounce mailbox (`tidings inbound`): an SMTP listener for BOUNCE_DOMAIN and/or IMAP polling of BOUNCE_MAILBOX.
  INBOUND_PORT: z.coerce.number().int().min(0).max(65535).default(2525),
  INBOUND_HOST: z.string().min(1).default('0.0.0.0'),
  INBOUND_MAX_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  INBOUND_KEEP_HOURS: z.coerce.number().min(0).default(168),
  BOUNCE_MAILBOX: z.string().regex(/^imaps?:\/\/[^@/]+@[^/]+/i, 'must look like imaps://user:password@host/INBOX').optional(),
  BOUNCE_MAILBOX_POLL_SECONDS: z.coerce.number().min(0.1).max(86_400).default(60),
  BOUNCE_DOMAIN: z.string().regex(/^[a-z0-9.-]+\.[a-z0-9-]+$/i, 'must be a domain name like bounces.example.com').optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^(\d{1,2}|loopback|uniquelocal|linklocal|[0-9a-f.:/, ]+)$/i, "must be a hop count (1), 'loopback', or proxy addresses/CIDRs separated by commas")
    .optional(),
  // Issues and their images (issue 12): the media store's folder and upload limit; defaults for issues that
  // leave out their postal address or greeting name (a list's own settings come first).
  MEDIA_DIR: z.string().default('media'),
  MEDIA_MAX_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  POSTAL_ADDRESS: z.string().trim().min(1).optional(),
  DEFAULT_NAME: z.string().trim().min(1).optional(),
  LIST_UNSUBSCRIBE_MAILTO: z.string().regex(/^[^\s@<>?]+@[^\s@<>?]+$/, 'must be a bare address like unsubscribe@example.com').optional(),
  // A /metrics listener of the process's own (worker, inbound; serve also answers /metrics on PORT).
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  // Auto-pause (issue 15): a send pauses itself when its last AUTO_PAUSE_WINDOW deliveries bounce hard or
  // draw complaints above these rates (per cent).
  // Warm-up of new routes (issue 15): 'day1=500, then x1.5 daily up to 200000', or per route 'host:port day1=…; …'.
  WARMUP: z.string().optional(),
  // Outgoing webhooks (issue 15): retries of a failed event, the POST's timeout, how often workers look for new events.
  WEBHOOK_RETRY_SCHEDULE: retrySteps(DEFAULT_WEBHOOK_RETRY_SCHEDULE),
  WEBHOOK_RETRY_FOR_HOURS: z.coerce.number().min(0).max(24 * 30).default(72),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(300).default(10),
  WEBHOOK_POLL_SECONDS: z.coerce.number().min(0.05).max(3600).default(1),
  AUTO_PAUSE_WINDOW: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULT_AUTO_PAUSE.window),
  AUTO_PAUSE_HARD_BOUNCE_RATE: percent.default(String(DEFAULT_AUTO_PAUSE.hardBounceRate)),
  AUTO_PAUSE_COMPLAINT_RATE: percent.default(String(DEFAULT_AUTO_PAUSE.complaintRate)),
  // Retention (issue 15; unset keeps everything): events older than this many days, and the deliveries of sends
  // that ended longer ago, are dropped a partition at a time, their counts kept per send (`tidings retention run`,
  // daily in the worker).
  EVENT_RETENTION_DAYS: z.coerce.number().int('must be a whole number of days').min(1).optional(),
  DELIVERY_RETENTION_DAYS: z.coerce.number().int('must be a whole number of days').min(1).optional(),
});

/** Every variable the configuration reads, in the schema's order (the README's table is checked against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(schema.shape));

/** Each variable's default as the schema gives it when the variable is unset (undefined: none). */
export function configDefaults(): Readonly<Record<string, string | number | undefined>> {
  const parsed = schema.parse(Object.fromEntries(CONFIG_VARIABLES.map((key) => [key, undefined])));
  return Object.freeze({ ...parsed });
}

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Set by REDIS_CLUSTER_NODES: every Redis connection goes to this cluster (redisUrl is not used). */
  readonly redisCluster: RedisClusterTarget | undefined;
  /** Unset: the embedded capture server (never in production). */
  readonly smtpUrl: string | undefined;
  readonly smtpPoolSize: number;
  readonly messageEncoding: '8bit' | 'base64';
  readonly publicUrl: string;
  readonly assetBaseUrl: string;
  readonly port: number;
  readonly secretKey: string;
  readonly usingDevelopmentSecret: boolean;
  readonly adminToken: string | undefined;
  readonly mailFrom: { readonly name: string; readonly address: string };
  /** The domain of MAIL_FROM: Message-IDs and List-Ids are built on it. */
  readonly sendingDomain: string;
  /** The prefix of every Redis key; on a cluster always one hash tag, e.g. `{tidings}` (see clusterPrefix). */
  readonly queuePrefix: string;
  readonly workerConcurrency: number;
  /** Messages per second across all worker processes; unset means as fast as the SMTP routes take them. */
  readonly sendRate: number | undefined;
  /** DOMAIN_LIMITS: per-recipient-domain rates, each group on a queue of its own. */
  readonly domainLimits: DomainLimits | undefined;
  /** How a domain group's pace falls on a deferral and climbs back. */
  readonly pacePolicy: PacePolicy;
  /** How long a claimed delivery stays `sending` before another worker may take it over. */
  readonly deliveryLockSeconds: number;
  /** How often a worker checks that Redis holds the work PostgreSQL says is left. */
  readonly reconcileIntervalSeconds: number;
  /** FANOUT_AHEAD: deliver jobs waiting in Redis at most before the fan-out waits for the senders; 0 is unbounded. */
  readonly fanoutAhead: number;
  /** FANOUT_JOBS: fan-out jobs a large send is split into (ranges of subscribers), run side by side by the workers. */
  readonly fanoutJobs: number;
  /** 5.7.x rejections in a row that pause a send. */
  readonly policyFailureLimit: number;
  /** When temporary failures are tried again (RETRY_SCHEDULE for RETRY_FOR_HOURS), and how many attempts that allows. */
  readonly retry: RetrySchedule;
  /** Throttling replies a delivery may meet without spending an attempt; the next one spends one. */
  readonly throttlesPerAttempt: number;
  /** How long the whole queue holds back after a throttling reply. */
  readonly throttlePauseSeconds: number;
  readonly outboxDir: string;
  readonly logLevel: string;
  /** Bounce and complaint webhooks; a provider without its secret is switched off. */
  readonly webhooks: WebhookConfig;
  /** Set when DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY are: every message is signed. */
  readonly dkim: DkimConfig | undefined;
  /** `tidings inbound`: where the SMTP listener listens, the largest message, how long raw messages are kept. */
  readonly inbound: { readonly port: number; readonly host: string; readonly maxBytes: number; readonly keepHours: number };
  /** IMAP mailbox polled for bounces (BOUNCE_MAILBOX), and how often. */
  readonly bounceMailbox: string | undefined;
  readonly bounceMailboxPollSeconds: number;
  /** VERP: the envelope sender is bounce+<token>@bounceDomain. */
  readonly bounceDomain: string | undefined;
  /** A mailto: alternative in List-Unsubscribe. */
  readonly listUnsubscribeMailto: string | undefined;
  /** The media store's folder (served at PUBLIC_URL/media/) and its upload limit in bytes. */
  readonly mediaDir: string;
  readonly mediaMaxBytes: number;
  /** For issues that give neither their own nor their list's. */
  readonly issueDefaults: { readonly postal_address?: string; readonly default_name?: string };
  /** Express "trust proxy": which X-Forwarded-For hops name the client (rate limits, machine-open checks). */
  readonly trustProxy: number | string | false;
  /** METRICS_PORT/METRICS_HOST: where this process answers GET /metrics on a listener of its own (port unset: none). */
  readonly metrics: { readonly port: number | undefined; readonly host: string };
  /** WARMUP: the daily caps of new SMTP routes (src/send/warmup.ts); unset, no caps. */
  readonly warmup: WarmupPlan | undefined;
  /** Outgoing webhooks: when a failed event is tried again (and how many attempts), the POST's timeout, the poll. */
  readonly outgoingWebhooks: { readonly retry: RetrySchedule; readonly timeoutMs: number; readonly pollMs: number };
  /** AUTO_PAUSE_*: when a send pauses itself for its hard-bounce or complaint rate. */
  readonly autoPause: AutoPausePolicy;
  /** EVENT_RETENTION_DAYS / DELIVERY_RETENTION_DAYS; undefined keeps that history for ever. */
  readonly retention: { readonly eventDays: number | undefined; readonly deliveryDays: number | undefined };
}

export interface WebhookConfig {
  readonly postmark: { readonly user: string; readonly password: string } | undefined;
  readonly sendgridPublicKey: string | undefined;
  readonly mailgunSigningKey: string | undefined;
  /** Signing certificates and SubscribeURLs must match this (default: https://sns.<region>.amazonaws.com/). */
  readonly snsCertUrlPattern: string | undefined;
  /** When set, SNS messages from other topics are refused. */
  readonly sesTopicArns: readonly string[];
}

export interface DkimConfig {
  readonly domain: string;
  readonly selector: string;
  /** PEM; the key has been checked (RSA 2048+ or Ed25519). */
  readonly privateKey: string;
  /** An extra Ed25519 signature, under its own selector. */
  readonly ed25519?: { readonly selector: string; readonly privateKey: string };
}

/**
 * Reads and validates the configuration once. A missing or malformed variable throws a ConfigError
 * whose message starts with the variable's name.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as in most .env files.
  const raw = Object.fromEntries(
    Object.keys(schema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(variable, issue.message);
  }
  const v = parsed.data;
  if (v.NODE_ENV === 'production') {
    if (!v.SECRET_KEY) throw new ConfigError('SECRET_KEY', 'is required when NODE_ENV=production (32+ random characters)');
    if (!v.SMTP_URL) throw new ConfigError('SMTP_URL', 'is required when NODE_ENV=production (the capture server is for development)');
  }
  const from = parseMailbox(v.MAIL_FROM);
  let domainLimits: DomainLimits | undefined;
  if (v.DOMAIN_LIMITS) {
    try {
      domainLimits = parseDomainLimits(v.DOMAIN_LIMITS);
    } catch (err) {
      throw new ConfigError('DOMAIN_LIMITS', (err as Error).message);
    }
  }
  let warmup: WarmupPlan | undefined;
  if (v.WARMUP) {
    try {
      warmup = parseWarmup(v.WARMUP, v.SMTP_URL ? smtpRouteNames(v.SMTP_URL) : undefined);
    } catch (err) {
      throw new ConfigError('WARMUP', (err as Error).message);
    }
  }
  let redisCluster: RedisClusterTarget | undefined;
  if (v.REDIS_CLUSTER_NODES) {
    try {
      redisCluster = Object.freeze(parseClusterNodes(v.REDIS_CLUSTER_NODES));
    } catch (err) {
      throw new ConfigError('REDIS_CLUSTER_NODES', (err as Error).message);
    }
  }
  const publicUrl = v.PUBLIC_URL.replace(/\/+$/, '');
  return Object.freeze({
    env: v.NODE_ENV,
    databaseUrl: v.DATABASE_URL,
    redisUrl: v.REDIS_URL,
    redisCluster,
    smtpUrl: v.SMTP_URL,
    smtpPoolSize: v.SMTP_POOL_SIZE,
    messageEncoding: v.MESSAGE_ENCODING,
    publicUrl,
    assetBaseUrl: (v.ASSET_BASE_URL ?? publicUrl).replace(/\/+$/, '') + '/',
    port: v.PORT,
    secretKey: v.SECRET_KEY ?? DEVELOPMENT_SECRET_KEY,
    usingDevelopmentSecret: !v.SECRET_KEY,
    adminToken: v.ADMIN_TOKEN,
    mailFrom: Object.freeze(from),
    sendingDomain: from.address.split('@')[1].toLowerCase(),
    queuePrefix: redisCluster ? clusterPrefix(v.QUEUE_PREFIX) : v.QUEUE_PREFIX,
    workerConcurrency: v.WORKER_CONCURRENCY,
    sendRate: v.SEND_RATE,
    domainLimits,
    pacePolicy: Object.freeze({ ...DEFAULT_PACE_POLICY, recoveryMs: v.DOMAIN_PACE_RECOVERY_SECONDS * 1000 }),
    deliveryLockSeconds: v.DELIVERY_LOCK_SECONDS,
    reconcileIntervalSeconds: v.RECONCILE_INTERVAL_SECONDS,
    fanoutAhead: v.FANOUT_AHEAD,
    fanoutJobs: v.FANOUT_JOBS,
    policyFailureLimit: v.POLICY_FAILURE_LIMIT,
    retry: retrySchedule(parseSteps(v.RETRY_SCHEDULE), v.RETRY_FOR_HOURS),
    throttlesPerAttempt: v.THROTTLES_PER_ATTEMPT,
    throttlePauseSeconds: v.THROTTLE_PAUSE_SECONDS,
    outboxDir: v.OUTBOX_DIR,
    logLevel: v.LOG_LEVEL,
    webhooks: Object.freeze({
      postmark: v.POSTMARK_WEBHOOK_USER && v.POSTMARK_WEBHOOK_PASSWORD ? { user: v.POSTMARK_WEBHOOK_USER, password: v.POSTMARK_WEBHOOK_PASSWORD } : undefined,
      sendgridPublicKey: v.SENDGRID_WEBHOOK_PUBLIC_KEY,
      mailgunSigningKey: v.MAILGUN_SIGNING_KEY,
      snsCertUrlPattern: v.SNS_CERT_URL_PATTERN,
      sesTopicArns: Object.freeze((v.SES_TOPIC_ARNS ?? '').split(',').map((arn) => arn.trim()).filter(Boolean)),
    }),
    dkim: dkimConfig(v),
    bounceDomain: v.BOUNCE_DOMAIN?.toLowerCase(),
    inbound: Object.freeze({ port: v.INBOUND_PORT, host: v.INBOUND_HOST, maxBytes: v.INBOUND_MAX_BYTES, keepHours: v.INBOUND_KEEP_HOURS }),
    bounceMailbox: v.BOUNCE_MAILBOX,
    bounceMailboxPollSeconds: v.BOUNCE_MAILBOX_POLL_SECONDS,
    listUnsubscribeMailto: v.LIST_UNSUBSCRIBE_MAILTO,
    mediaDir: v.MEDIA_DIR,
    mediaMaxBytes: v.MEDIA_MAX_BYTES,
    issueDefaults: Object.freeze({ postal_address: v.POSTAL_ADDRESS, default_name: v.DEFAULT_NAME }),
    warmup,
    outgoingWebhooks: Object.freeze({
      retry: retrySchedule(parseSteps(v.WEBHOOK_RETRY_SCHEDULE), v.WEBHOOK_RETRY_FOR_HOURS),
      timeoutMs: v.WEBHOOK_TIMEOUT_SECONDS * 1000,
      pollMs: v.WEBHOOK_POLL_SECONDS * 1000,
    }),
    autoPause: Object.freeze({
      window: v.AUTO_PAUSE_WINDOW,
      hardBounceRate: parsePercent(v.AUTO_PAUSE_HARD_BOUNCE_RATE),
      complaintRate: parsePercent(v.AUTO_PAUSE_COMPLAINT_RATE),
    }),
    trustProxy: v.TRUST_PROXY === undefined ? false : /^\d+$/.test(v.TRUST_PROXY) ? Number(v.TRUST_PROXY) : v.TRUST_PROXY,
    metrics: Object.freeze({ port: v.METRICS_PORT, host: v.METRICS_HOST }),
    retention: Object.freeze({ eventDays: v.EVENT_RETENTION_DAYS, deliveryDays: v.DELIVERY_RETENTION_DAYS }),
  });
}

/** A PEM given inline or as a file path; the key must be able to sign. Errors name the variable. */
function readKey(variable: string, value: string): string {
  let pem = value;
  if (!value.includes('-----BEGIN')) {
    try {
      pem = readFileSync(value, 'utf8');
    } catch (err) {
      throw new ConfigError(variable, `is neither a PEM key nor a readable file (${(err as Error).message})`);
    }
  }
  try {
    parseDkimPrivateKey(pem.replace(/\\n/g, '\n'));
  } catch (err) {
    throw new ConfigError(variable, (err as Error).message);
  }
  return pem.replace(/\\n/g, '\n');
}

function dkimConfig(v: z.infer<typeof schema>): DkimConfig | undefined {
  const given = { DKIM_DOMAIN: v.DKIM_DOMAIN, DKIM_SELECTOR: v.DKIM_SELECTOR, DKIM_PRIVATE_KEY: v.DKIM_PRIVATE_KEY };
  const missing = Object.entries(given).filter(([, value]) => !value);
  if (missing.length === 3) {
    if (v.DKIM_ED25519_KEY) throw new ConfigError('DKIM_ED25519_KEY', 'needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY (the RSA signature) as well');
    return undefined;
  }
  if (missing.length > 0) throw new ConfigError(missing[0][0], 'must be set too: DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY');
  const privateKey = readKey('DKIM_PRIVATE_KEY', v.DKIM_PRIVATE_KEY!);
  const ed25519 = v.DKIM_ED25519_KEY
    ? { selector: v.DKIM_ED25519_SELECTOR ?? `${v.DKIM_SELECTOR}-ed25519`, privateKey: readKey('DKIM_ED25519_KEY', v.DKIM_ED25519_KEY) }
    : undefined;
  return Object.freeze({ domain: v.DKIM_DOMAIN!.toLowerCase(), selector: v.DKIM_SELECTOR!, privateKey, ed25519 });
}

export function parseMailbox(value: string): { name: string; address: string } {
  const angle = /^(.*)<([^>]+)>\s*$/.exec(value);
  if (!angle) return { name: '', address: value.trim() };
  return { name: angle[1].trim().replace(/^"(.*)"$/, '$1'), address: angle[2].trim() };
}
