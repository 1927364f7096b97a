import { z } from 'zod';
import { ConfigError } from './errors';

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

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:']).default('postgres://localhost:5432/tidings'),
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  SMTP_URL: urlWithProtocols(['smtp:', 'smtps:']).optional(),
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  PUBLIC_URL: urlWithProtocols(['http:', 'https:']).default('http://localhost:3000'),
  ASSET_BASE_URL: urlWithProtocols(['http:', 'https:']).optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  MAIL_FROM: mailbox.default('Tidings <newsletter@tidings.localhost>'),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_{}.-]+$/, 'may hold letters, digits, _ . - { } only').default('tidings'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  OUTBOX_DIR: z.string().default('outbox'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Unset: the embedded capture server (never in production). */
  readonly smtpUrl: string | undefined;
  readonly smtpPoolSize: number;
  readonly publicUrl: string;
  readonly assetBaseUrl: string;
  readonly port: number;
  readonly secretKey: string;
  readonly usingDevelopmentSecret: boolean;
  readonly adminToken: string | undefined;
  readonly mailFrom: { readonly name: string; readonly address: string };
  /** The domain of MAIL_FROM: Message-IDs and List-Ids are built on it. */
  readonly sendingDomain: string;
  readonly queuePrefix: string;
  readonly workerConcurrency: number;
  readonly outboxDir: string;
  readonly logLevel: string;
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
  const publicUrl = v.PUBLIC_URL.replace(/\/+$/, '');
  return Object.freeze({
    env: v.NODE_ENV,
    databaseUrl: v.DATABASE_URL,
    redisUrl: v.REDIS_URL,
    smtpUrl: v.SMTP_URL,
    smtpPoolSize: v.SMTP_POOL_SIZE,
    publicUrl,
    assetBaseUrl: (v.ASSET_BASE_URL ?? publicUrl).replace(/\/+$/, '') + '/',
    port: v.PORT,
    secretKey: v.SECRET_KEY ?? DEVELOPMENT_SECRET_KEY,
    usingDevelopmentSecret: !v.SECRET_KEY,
    adminToken: v.ADMIN_TOKEN,
    mailFrom: Object.freeze(from),
    sendingDomain: from.address.split('@')[1].toLowerCase(),
    queuePrefix: v.QUEUE_PREFIX,
    workerConcurrency: v.WORKER_CONCURRENCY,
    outboxDir: v.OUTBOX_DIR,
    logLevel: v.LOG_LEVEL,
  });
}

function parseMailbox(value: string): { name: string; address: string } {
  const angle = /^(.*)<([^>]+)>\s*$/.exec(value);
  if (!angle) return { name: '', address: value.trim() };
  return { name: angle[1].trim().replace(/^"(.*)"$/, '$1'), address: angle[2].trim() };
}
