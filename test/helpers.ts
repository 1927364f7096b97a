import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { simpleParser, type ParsedMail } from 'mailparser';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createServices, type Services } from '../src/app/services';
import { startHttp, type HttpServer } from '../src/http/server';
import { loadConfig, type Config } from '../src/config';
import { migrate } from '../src/db/migrate';
import { dropDatabase, ensureDatabase } from '../src/db/pool';
import { CaptureServer, type CaptureServerOptions } from '../src/mail/capture-server';
import { createSmtpMailer } from '../src/mail/mailer';
import { startWorkers, type RunningWorkers } from '../workers/index';
import { startOpsServer } from './ops-seed';

export const TEST_SECRET = 'test-secret-key-0123456789-abcdefghijklmnop';

/** A database name and a queue prefix of their own, so test files run in parallel and again and again. */
export function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const id = `${process.pid}_${randomBytes(4).toString('hex')}`;
  return {
    NODE_ENV: 'test',
    DATABASE_URL: `postgres://127.0.0.1:5432/tidings_test_${id}`,
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `tidings-test-${id}`,
    SECRET_KEY: TEST_SECRET,
    PUBLIC_URL: 'http://127.0.0.1:3999',
    MAIL_FROM: '数据生活 LifeWithData <news@lifewithdata.test>',
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

export interface TestStack {
  env: Record<string, string>;
  config: Config;
  services: Services;
  smtp: CaptureServer;
  http?: HttpServer;
  workers?: RunningWorkers;
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * A fresh database (migrated), a fresh queue prefix, a real SMTP server that keeps what it receives,
 * and optionally the HTTP server and the workers, all in this process.
 */
export async function startStack(
  options: { http?: boolean; workers?: boolean; smtp?: CaptureServerOptions; env?: Record<string, string>; concurrency?: number } = {},
): Promise<TestStack> {
  const smtp = new CaptureServer({ keep: true, ...options.smtp });
  await smtp.listen();
  // SMTP_URL: the HTTP server's own mail (confirmation emails) goes to the same capture server.
  const env = isolatedEnv({ PORT: '0', SMTP_URL: smtp.url, ...options.env });
  await ensureDatabase(env.DATABASE_URL);
  let config = loadConfig(env);
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  let services = createServices(config, log);
  await migrate(services.pool);
  let http: HttpServer | undefined;
  if (options.http) {
    http = await startHttp(services, 0);
    // PUBLIC_URL must point at the server the test talks to: rebuild the services with the real port.
    await services.close();
    env.PUBLIC_URL = `http://127.0.0.1:${http.port}`;
    await http.close();
    config = loadConfig(env);
    services = createServices(config, log);
    http = await startHttp(services, http.port);
  }
  const workers = options.workers
    ? await startWorkers(services, createSmtpMailer({ url: env.SMTP_URL ?? smtp.url, poolSize: 5 }), { concurrency: options.concurrency ?? 20 })
    : undefined;
  return {
    env,
    config,
    services,
    smtp,
    http,
    workers,
    baseUrl: env.PUBLIC_URL,
    async close() {
      await workers?.close();
      await http?.close();
      await removeQueueKeys(config.queuePrefix);
      await services.close();
      await smtp.close();
      await dropDatabase(env.DATABASE_URL);
    },
  };
}

/**
 * Deletes every key of these queues at once, as Redis losing them does (FLUSHDB, a restart without
 * persistence, a failover): one Lua script, so no worker or reconciler runs in between. A SCAN-and-DEL from
 * here took long enough on a busy shared Redis for the reconciler to re-add jobs mid-way, and a job hash
 * that outlived its list entry made BullMQ ignore the re-add (the send hung) — a state no real loss leaves.
 */
export async function removeQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379');
  try {
    await redis.eval(
      `local cursor = '0'
       repeat
         local reply = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
         cursor = reply[1]
         for _, key in ipairs(reply[2]) do redis.call('DEL', key) end
       until cursor == '0'
       return 0`,
      0,
      `${prefix}:*`,
    );
  } finally {
    redis.disconnect();
  }
}

export function parse(raw: Buffer): Promise<ParsedMail> {
  return simpleParser(raw);
}

export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The unfolded values of a header in a raw message, exactly as sent. */
export function rawHeaders(raw: Buffer, name: string): string[] {
  const head = raw.toString('latin1').split('\r\n\r\n')[0].replace(/\r\n[ \t]+/g, ' ');
  const prefix = name.toLowerCase() + ':';
  return head
    .split('\r\n')
    .filter((line) => line.toLowerCase().startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim());
}

/** A list with `count` confirmed subscribers (n1@example.com … n<count>@example.com) and the sample issue. */
export async function seedSend(stack: TestStack, slug: string, count: number): Promise<{ listId: number; issueId: number }> {
  const { pool, config } = stack.services;
  const { createList } = await import('../src/db/lists');
  const { upsertSubscribers } = await import('../src/db/subscribers');
  const { createIssueFromFile } = await import('../src/issues/create-issue');
  const { SAMPLE_ISSUE } = await import('../src/cli/demo');
  const listId = (await createList(pool, { slug, name: `List ${slug}` })).id;
  for (let i = 0; i < count; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({ email: `n${i + k + 1}@example.com`, name: `N${i + k + 1}`, attributes: {} }));
    await upsertSubscribers(pool, listId, batch, 'confirmed');
  }
  const issueId = (await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: config.assetBaseUrl })).issue.id;
  return { listId, issueId };
}

/** Delivery counts of a send by status, straight from PostgreSQL. */
export async function deliveryStates(stack: TestStack, sendId: number): Promise<Record<string, number>> {
  const { rows } = await stack.services.pool.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM deliveries WHERE send_id = $1 GROUP BY status',
    [sendId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export async function sendStatus(stack: TestStack, sendId: number): Promise<{ status: string; statusReason: string | null }> {
  const { rows } = await stack.services.pool.query('SELECT status, status_reason AS "statusReason" FROM sends WHERE id = $1', [sendId]);
  return rows[0];
}

const BIN = path.resolve(__dirname, '../bin/tidings.mjs');

/** A real `tidings worker` process against the test's database, queues and SMTP server. */
export function workerProcess(
  stack: TestStack,
  extra: Record<string, string> = {},
  /** A command the worker runs under, e.g. `ip netns exec <name>` (a worker on another "host"). */
  wrapper: string[] = [],
): ChildProcess & { output: () => string } {
  return tidingsProcess(stack, 'worker', extra, wrapper);
}

/** A real `tidings <command>` process (serve, worker, inbound …) against the test's database, queues and SMTP server. */
export function tidingsProcess(
  stack: TestStack,
  command: string,
  extra: Record<string, string> = {},
  wrapper: string[] = [],
): ChildProcess & { output: () => string } {
  const [program, ...args] = [...wrapper, process.execPath, BIN, command];
  const child = spawn(program, args, {
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...stack.env, SMTP_URL: stack.smtp.url, LOG_LEVEL: 'warn', ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return Object.assign(child, { output: () => output });
}

/** A TCP port nothing listens on right now (for a child process that must be told its port). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export type ServeProcess = ChildProcess & { output: () => string; port: number; url: (path: string) => string };

/**
 * A real `tidings serve` process on a free port of its own (PUBLIC_URL pointing at it), answering once its
 * /healthz does. `port` reuses one (a restart keeps the links it signed valid).
 */
export async function serveProcess(stack: TestStack, extra: Record<string, string> = {}, port?: number): Promise<ServeProcess> {
  const chosen = port ?? (await freePort());
  const base = `http://127.0.0.1:${chosen}`;
  const child = tidingsProcess(stack, 'serve', { PORT: String(chosen), PUBLIC_URL: base, ...extra });
  const serve = Object.assign(child, { port: chosen, url: (p: string) => base + p });
  await untilAnswering(child, serve.url('/healthz'));
  return serve;
}

/** Waits until a child process answers `url` with 2xx; fails with its output if it exits first. */
export async function untilAnswering(child: ChildProcess & { output: () => string }, url: string): Promise<void> {
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`${child.spawnargs.slice(2).join(' ')} exited with ${child.exitCode}:\n${child.output()}`);
    return fetch(url).then((r) => r.ok, () => false);
  }, 60_000);
}

/** Sends SIGTERM and resolves with the exit code. */
export async function stopProcess(child: ChildProcess): Promise<number | null> {
  const code = exited(child);
  if (child.exitCode === null) child.kill('SIGTERM');
  return code;
}

export const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

export interface StackPerTest {
  stack: TestStack | undefined;
  /** Child processes of the test: whatever is still running after it is killed. */
  children: ChildProcess[];
}

/** For tests that start their own stack and processes: after each test, leftover children are killed and the stack closed. */
export function stackPerTest(): StackPerTest {
  const state: StackPerTest = { stack: undefined, children: [] };
  afterEach(async () => {
    for (const child of state.children) if (child.exitCode === null) child.kill('SIGKILL');
    state.children.length = 0;
    await state.stack?.close();
    state.stack = undefined;
  });
  return state;
}

export type OpsServer = Awaited<ReturnType<typeof startOpsServer>>;

/**
 * A stack and an operator HTTP server on it (ADMIN_TOKEN set: see startOpsServer) for the tests of one file or
 * describe block: started before them, closed after. Read `stack` and `server` inside the tests.
 */
export function opsServerPerSuite(options: Parameters<typeof startStack>[0] = {}): { readonly stack: TestStack; readonly server: OpsServer } {
  let stack: TestStack | undefined;
  let server: OpsServer | undefined;
  beforeAll(async () => {
    stack = await startStack(options);
    server = await startOpsServer(stack.env);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await stack?.close();
  });
  return {
    get stack() {
      if (!stack) throw new Error('opsServerPerSuite: the stack is read before beforeAll ran');
      return stack;
    },
    get server() {
      if (!server) throw new Error('opsServerPerSuite: the server is read before beforeAll ran');
      return server;
    },
  };
}
