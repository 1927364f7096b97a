/**
 * bench/send — how fast Tidings sends on this machine, next to the ceiling of the same machine.
 *
 *   npm run bench:send -- [--sizes 10000,100000] [--workers 1,2] [--concurrency 100] [--pool 10] [--no-peer] [--fanout-only] [--warm 20000]
 *
 * A size of 1000000 is the opt-in end-to-end run at a million subscribers (a few minutes per variant).
 *
 * Everything is co-located: PostgreSQL, Redis, the workers and Postfix's smtp-sink (the receiving side),
 * so the ceiling is measured in the same run with Postfix's smtp-source sending messages of the same size
 * over the same number of connections. Needs ../shared/tools/postfix-bench (or POSTFIX_BENCH=path).
 * Each run is followed by the peer (bench/peer-worker: BullMQ + Handlebars per message + nodemailer's pool,
 * what a user would write) over the same list and sink, and Tidings' rate is printed as a multiple of it.
 * Peak Redis memory is sampled while the send runs; the sink's own count is checked against the deliveries
 * recorded as sent. Prints a table; it is not a test and asserts nothing.
 *
 * --warm N: the workers first send N messages to another list, then the measured send starts, as it does on
 * workers that have been running: a fresh process spends its first ~7,500 jobs with V8 still compiling (most
 * of what a 20,000-subscriber fan-out costs). The peer gets no such warm-up, so --warm prints no × peer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { pino } from 'pino';
import { createServices, type Services } from '../src/app/services';
import { loadConfig } from '../src/config';
import { migrate } from '../src/db/migrate';
import { dropDatabase, ensureDatabase } from '../src/db/pool';
import { saveIssue } from '../src/db/issues';
import { createList } from '../src/db/lists';
import { MessageTemplate } from '../src/mail/message-template';
import { enqueueDeliveries } from '../src/queue/queues';
import { hashOf, issueContentSchema } from '../src/render/content';
import { renderIssue } from '../src/render/render-issue';
import { fillMarkers } from '../src/render/slots';
import { waitForSend } from '../src/cli/progress';
import { cancelSend, startSend } from '../src/send/control';
import { runPeer } from './peer';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const sizes = arg('sizes', '10000,100000').split(',').map(Number);
const workerCounts = arg('workers', '1,2').split(',').map(Number);
const concurrency = Number(arg('concurrency', '100'));
const poolSize = Number(arg('pool', '10'));
// sample: the personalised, tracked sample issue; small: two articles (~20 KB); +dkim: signed with RSA-2048;
// +8bit: MESSAGE_ENCODING=8bit (parts as UTF-8 instead of base64).
const variants = arg('variants', 'sample,small,sample+dkim').split(',');
const withPeer = !process.argv.includes('--no-peer');
const fanoutOnly = process.argv.includes('--fanout-only');
const warm = Number(arg('warm', '0'));
const postfixBench = process.env.POSTFIX_BENCH ?? path.resolve(root, '../shared/tools/postfix-bench');
const sinkPort = 20000 + Math.floor(Math.random() * 20000);

const env: Record<string, string> = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://127.0.0.1:5432/tidings_bench',
  REDIS_URL: 'redis://127.0.0.1:6379',
  QUEUE_PREFIX: `tidings-bench-${process.pid}`,
  SECRET_KEY: 'bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz',
  SMTP_URL: `smtp://127.0.0.1:${sinkPort}`,
  SMTP_POOL_SIZE: String(poolSize),
  PUBLIC_URL: 'https://news.example.com',
  MAIL_FROM: '数据生活 LifeWithData <news@lifewithdata.example>',
  LOG_LEVEL: 'warn',
  WORKER_CONCURRENCY: String(concurrency),
  RECONCILE_INTERVAL_SECONDS: '3600',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function run(command: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Peak resident set size of a process, from /proc (VmHWM). */
function peakRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds used so far by the processes of each part of the system (user + system time, from /proc), so a
 * run can say where the CPU went per message even when something else shares the machine.
 */
type CpuParts = { workers: number; postgres: number; redis: number; sink: number };
function cpuSeconds(workerPids: number[], sinkPid: number): CpuParts {
  const tick = 100; // USER_HZ on Linux
  const parts: CpuParts = { workers: 0, postgres: 0, redis: 0, sink: 0 };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / tick;
    const pid = Number(entry);
    if (workerPids.includes(pid)) parts.workers += seconds;
    else if (pid === sinkPid || comm === 'smtp-sink') parts.sink += seconds;
    else if (comm === 'postgres') parts.postgres += seconds;
    else if (comm.startsWith('redis-server')) parts.redis += seconds;
  }
  return parts;
}

/** CPU seconds of one process so far (user + system, USER_HZ 100); null once it has exited. */
function processCpu(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * The CPU of the PostgreSQL backends serving the bench's database only: the server is shared with other
 * work on this machine, whose backends must not count. Sampled while the run goes (a backend that exits keeps
 * its last sample); a backend already there at the start counts from then, a new one from zero. The server's
 * own background processes (WAL writer, checkpointer) are left out.
 */
class BackendCpu {
  private readonly start = new Map<number, number>();
  private readonly last = new Map<number, number>();
  constructor(private readonly services: Services) {}
  async begin(): Promise<void> {
    for (const pid of await this.pids()) this.start.set(pid, processCpu(pid) ?? 0);
    await this.sample();
  }
  async sample(): Promise<void> {
    for (const pid of await this.pids()) {
      const cpu = processCpu(pid);
      if (cpu !== null) this.last.set(pid, cpu);
    }
  }
  seconds(): number {
    let total = 0;
    for (const [pid, cpu] of this.last) total += cpu - (this.start.get(pid) ?? 0);
    return total;
  }
  private async pids(): Promise<number[]> {
    const { rows } = await this.services.pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    return rows.map((r) => r.pid);
  }
}

interface BenchIssue {
  id: number;
  messageBytes: number;
  html: string;
  text: string;
  subject: string;
}

async function createBenchIssue(services: Services, variant: string): Promise<BenchIssue> {
  const source = readFileSync(path.join(root, 'content/ml-utd-32.yaml'), 'utf8');
  const content = issueContentSchema.parse(YAML.parse(source));
  if (variant.startsWith('small')) {
    // Two articles: about the 20 KB message of the figures quoted in the issue.
    content.slug = `bench-${variant.replace(/\+/g, '-')}`;
    content.sections = [{ ...content.sections[0], articles: content.sections[0].articles.slice(0, 2) }];
    content.keep_learning = undefined;
  } else {
    content.slug = `bench-${variant.replace(/\+/g, '-')}`;
  }
  const rendered = await renderIssue(content, { assetBaseUrl: 'https://news.example.com/' });
  const { issue } = await saveIssue(services.pool, {
    slug: content.slug, subject: rendered.subject, preheader: rendered.preheader, template: rendered.template,
    defaultName: content.default_name, source, sourceHash: hashOf(source, rendered.html, rendered.text), html: rendered.html, text: rendered.text,
    language: rendered.language, renderings: [],
  });
  const values = { listName: 'Bench', webVersionUrl: 'https://news.example.com/archive/x' };
  const template = new MessageTemplate({
    sendId: 1, listId: 1, issueId: issue.id, from: services.config.mailFrom, subject: issue.subject, list: { name: 'Bench', slug: 'bench' },
    sendingDomain: services.config.sendingDomain, html: fillMarkers(issue.html, values), text: fillMarkers(issue.text, values),
    encoding: variant.includes('+8bit') ? '8bit' : 'base64',
  });
  const raw = template.render({ deliveryId: 123456, email: 'subscriber.123456@example.com', name: '王小明', unsubscribeUrl: services.links.unsubscribe(123456, 1, 123456), openPixelUrl: services.links.openPixel(123456) });
  return { id: issue.id, messageBytes: raw.length, html: issue.html, text: issue.text, subject: issue.subject };
}

async function seedList(services: Services, slug: string, count: number): Promise<{ id: number; slug: string; name: string }> {
  const list = await createList(services.pool, { slug, name: `Bench ${count}` });
  await services.pool.query(
    `WITH created AS (
       INSERT INTO subscribers (email, name)
       SELECT 'bench.' || $2 || '.' || i || '@example.com', '读者 ' || i FROM generate_series(1, $1::int) AS i
       RETURNING id)
     INSERT INTO subscriptions (list_id, subscriber_id, status, confirmed_at)
     SELECT $3, id, 'confirmed', now() FROM created`,
    [count, slug, list.id],
  );
  return { id: list.id, slug, name: list.name };
}

async function ceiling(messageBytes: number, count: number, sessions: number): Promise<number> {
  const started = process.hrtime.bigint();
  const { code, out } = await run(postfixBench, ['source', String(sinkPort), String(messageBytes), String(count), String(sessions)]);
  if (code !== 0) throw new Error(`smtp-source failed: ${out}`);
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

interface Row {
  variant: string;
  size: number;
  workers: number;
  messageKb: number;
  fanoutPerSec: number;
  sendPerSec: number;
  /** The mean of the two below. */
  ceilingPerSec: number;
  ceilingBeforeAfter: [number, number];
  ratio: number;
  peakRssMb: number;
  /** Redis used_memory above its level before the send, at its highest while the send ran. */
  peakRedisMb: number;
  /** The most deliver jobs waiting in Redis at once. */
  peakQueuedJobs: number;
  /** Messages the sink counted minus deliveries recorded as sent (0: nothing lost, nothing doubled). */
  sinkMinusSent: number;
  peerPerSec: number | null;
  /** CPU milliseconds per message sent, from the send's start to its last message. */
  cpuMsPerMessage: CpuParts;
}

const WORKER_NODE_OPTIONS = '--max-old-space-size=128';
const dkimKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const dkimEnv = { DKIM_DOMAIN: 'lifewithdata.example', DKIM_SELECTOR: 'bench', DKIM_PRIVATE_KEY: dkimKey };

/** used_memory of the Redis server, in bytes. */
async function redisUsedMemory(services: Services): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await services.redis.info('memory'))![1]);
}

/** --warm: a send of `count` to a list of its own, to its end, on the workers about to be measured. */
async function warmUp(services: Services, issueId: number, slug: string, count: number): Promise<void> {
  await seedList(services, slug, count);
  const { send } = await startSend(services, issueId, slug, { again: true, includePrevious: true });
  const outcome = await waitForSend(services, send.id, { bar: false });
  if (outcome.send.status !== 'finished') throw new Error(`the warm-up send ended ${outcome.send.status}`);
}

async function measure(services: Services, variant: string, issue: BenchIssue, size: number, workers: number): Promise<Row> {
  const { id: issueId, messageBytes } = issue;
  const slug = `bench-${variant.replace(/\+/g, '-')}-${size}-${workers}`;
  // Workers run as README.md recommends: a bounded V8 heap keeps their RSS flat at any list size.
  const workerEnv = { NODE_OPTIONS: WORKER_NODE_OPTIONS, ...process.env, ...env, ...(variant.includes('+dkim') ? dkimEnv : {}), MESSAGE_ENCODING: variant.includes('+8bit') ? '8bit' : 'base64' };
  const list = await seedList(services, slug, size);
  // The ceiling before and after the send, their mean the ratio's denominator: on a shared machine the rate
  // of the same smtp-source run drifts by ±15% within minutes, and one side alone tilts the ratio with it.
  const ceilingBefore = await ceiling(messageBytes, Math.min(size, 20000), poolSize * workers);
  const children: ChildProcess[] = [];
  for (let i = 0; i < workers; i++) {
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
    children.push(spawn(process.execPath, [...profile, path.join(root, 'bin/tidings.mjs'), 'worker'], { env: workerEnv, stdio: ['ignore', 'ignore', 'inherit'] }));
  }
  await sleep(2500); // workers up and connected
  if (warm > 0) await warmUp(services, issueId, `${slug}-warm`, warm);
  const workerPids = children.map((c) => c.pid!);
  const cpuBefore = cpuSeconds(workerPids, sink.pid!);
  const backends = new BackendCpu(services);
  await backends.begin();
  const sinkBefore = sinkCount();
  const redisBefore = await redisUsedMemory(services);
  let peakRedis = 0;
  let peakQueuedJobs = 0;
  const { send } = await startSend(services, issueId, slug, { again: true, includePrevious: true });
  let row: { fanned: Date | null; started: Date | null; finished: Date | null; status: string } | undefined;
  for (;;) {
    const { rows } = await services.pool.query('SELECT status, started_at AS started, fanned_out_at AS fanned, finished_at AS finished FROM sends WHERE id = $1', [send.id]);
    row = rows[0];
    peakRedis = Math.max(peakRedis, (await redisUsedMemory(services)) - redisBefore);
    const counts = await services.queues.deliver.getJobCounts('waiting', 'delayed', 'prioritized');
    peakQueuedJobs = Math.max(peakQueuedJobs, Object.values(counts).reduce((a, b) => a + b, 0));
    await backends.sample();
    if (row!.status === 'finished' || row!.status === 'failed' || row!.status === 'paused') break;
    await sleep(200);
  }
  const times = await services.pool.query<{ first: Date; last: Date; sent: number }>(
    "SELECT min(sent_at) AS first, max(sent_at) AS last, count(*)::int AS sent FROM deliveries WHERE send_id = $1 AND status = 'sent'",
    [send.id],
  );
  await backends.sample();
  const cpuAfter = { ...cpuSeconds(workerPids, sink.pid!), postgres: cpuBefore.postgres + backends.seconds() };
  const rss = Math.max(...children.map((c) => peakRssMb(c.pid!)));
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('exit', resolve))));
  const t = times.rows[0];
  const sinkMinusSent = sinkCount() - sinkBefore - t.sent;
  const peer = withPeer && warm === 0
    ? await runPeer({
        pool: services.pool, redis: services.redis, redisUrl: env.REDIS_URL, smtpUrl: env.SMTP_URL, issue, list, from: env.MAIL_FROM,
        publicUrl: env.PUBLIC_URL, secret: env.SECRET_KEY, workers, concurrency, poolSize, nodeOptions: WORKER_NODE_OPTIONS,
        dkim: variant.includes('+dkim') ? { domainName: dkimEnv.DKIM_DOMAIN, keySelector: dkimEnv.DKIM_SELECTOR, privateKey: dkimEnv.DKIM_PRIVATE_KEY } : undefined,
      })
    : null;
  if (peer && peer.sent !== size) console.error(`peer: ${peer.sent} sent, ${peer.failed} failed of ${size}`);
  const fanoutSeconds = (row!.fanned!.getTime() - row!.started!.getTime()) / 1000;
  const sendSeconds = (t.last.getTime() - row!.started!.getTime()) / 1000;
  const ceilingAfter = await ceiling(messageBytes, Math.min(size, 20000), poolSize * workers);
  const ceilingPerSec = (ceilingBefore + ceilingAfter) / 2;
  const sendPerSec = t.sent / sendSeconds;
  return {
    variant, size, workers, messageKb: Math.round(messageBytes / 102.4) / 10,
    fanoutPerSec: Math.round(size / fanoutSeconds), sendPerSec: Math.round(sendPerSec), ceilingPerSec: Math.round(ceilingPerSec),
    ceilingBeforeAfter: [Math.round(ceilingBefore), Math.round(ceilingAfter)],
    ratio: Math.round((sendPerSec / ceilingPerSec) * 100) / 100, peakRssMb: Math.round(rss),
    peakRedisMb: Math.round(peakRedis / 1024 / 1024), peakQueuedJobs, sinkMinusSent, peerPerSec: peer?.perSec ?? null,
    cpuMsPerMessage: Object.fromEntries(
      (Object.keys(cpuAfter) as (keyof CpuParts)[]).map((k) => [k, Math.round(((cpuAfter[k] - cpuBefore[k]) * 1000 * 100) / t.sent) / 100]),
    ) as CpuParts,
  };
}

/**
 * The fan-out on its own: the deliver queue is paused in Redis (BullMQ pauses it for every worker), so the
 * fan-out has the machine to itself; in the table's runs it shares the CPU with the sending it starts.
 * Returns deliveries queued per second and the CPU microseconds per delivery of each part.
 */
async function fanoutAlone(services: Services, issueId: number, size: number, workers: number): Promise<{ perSec: number; cpuMicros: CpuParts }> {
  const slug = `bench-fanout-${size}-${workers}`;
  await seedList(services, slug, size);
  // FANOUT_AHEAD=0: with the deliver queue paused, a bounded fan-out would wait for senders that never come.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const children = Array.from({ length: workers }, () =>
    spawn(process.execPath, [...profile, path.join(root, 'bin/tidings.mjs'), 'worker'], { env: { NODE_OPTIONS: WORKER_NODE_OPTIONS, ...process.env, ...env, FANOUT_AHEAD: '0' }, stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  let sendId: number | undefined;
  try {
    await sleep(2500);
    await services.queues.deliver.pause();
    const pids = children.map((c) => c.pid!);
    const before = cpuSeconds(pids, sink.pid!);
    const backends = new BackendCpu(services);
    await backends.begin();
    const { send } = await startSend(services, issueId, slug, { again: true, includePrevious: true });
    sendId = send.id;
    for (;;) {
      const { rows } = await services.pool.query('SELECT started_at AS started, fanned_out_at AS fanned FROM sends WHERE id = $1', [send.id]);
      await backends.sample();
      if (rows[0].fanned) {
        const after = { ...cpuSeconds(pids, sink.pid!), postgres: before.postgres + backends.seconds() };
        const cpuMicros = Object.fromEntries((Object.keys(after) as (keyof CpuParts)[]).map((k) => [k, Math.round(((after[k] - before[k]) * 1e6 * 10) / size) / 10])) as CpuParts;
        return { perSec: Math.round(size / ((rows[0].fanned.getTime() - rows[0].started.getTime()) / 1000)), cpuMicros };
      }
      await sleep(100);
    }
  } finally {
    // Nothing of this send may go out later, in the measured runs.
    if (sendId !== undefined) await cancelSend(services, sendId);
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((resolve) => c.once('exit', resolve))));
    await services.queues.deliver.obliterate({ force: true });
    await services.queues.deliver.resume();
  }
}

/** Redis memory per queued deliver job: queue 20,000 jobs without workers and compare used_memory. */
async function redisBytesPerJob(services: Services): Promise<number> {
  const before = Number(/used_memory:(\d+)/.exec(await services.redis.info('memory'))![1]);
  const ids = Array.from({ length: 20000 }, (_, i) => 900_000_000 + i);
  for (let i = 0; i < ids.length; i += 2000) await enqueueDeliveries(services.queues, ids.slice(i, i + 2000));
  const after = Number(/used_memory:(\d+)/.exec(await services.redis.info('memory'))![1]);
  await services.queues.deliver.obliterate({ force: true });
  return Math.round((after - before) / ids.length);
}

// smtp-sink -c prints `… mesg=N` after each message: its own count of what it received. It writes to a file,
// read when a count is needed: read from a pipe, this process woke up for every message (2,000 times a second)
// and took CPU from the workers and the sink it measures.
const sinkLog = path.join(os.tmpdir(), `tidings-bench-sink-${process.pid}.log`);
const sinkOut = openSync(sinkLog, 'w');
const sink = spawn(postfixBench, ['sink', String(sinkPort)], { stdio: ['ignore', sinkOut, 'ignore'] });
closeSync(sinkOut);
/** The sink's count so far: the last `mesg=N` in its output file. */
function sinkCount(): number {
  const fd = openSync(sinkLog, 'r');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 512));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const counts = tail.toString('latin1').match(/mesg=(\d+)/g);
    return counts ? Number(counts[counts.length - 1].slice(5)) : 0;
  } finally {
    closeSync(fd);
  }
}
try {
  await sleep(1500);
  await dropDatabase(env.DATABASE_URL);
  await ensureDatabase(env.DATABASE_URL);
  const services = createServices(loadConfig(env), pino({ level: 'warn' }));
  await migrate(services.pool);
  const perJob = await redisBytesPerJob(services);
  const fanoutIssue = await createBenchIssue(services, 'fanout');
  // The fan-out alone, at each size and worker count (--fanout-only: nothing else).
  const fanoutRows: string[] = [];
  for (const size of sizes) {
    for (const workers of workerCounts) {
      const f = await fanoutAlone(services, fanoutIssue.id, size, workers);
      fanoutRows.push(`${size} | ${workers} | ${f.perSec} | ${f.cpuMicros.workers} · ${f.cpuMicros.postgres} · ${f.cpuMicros.redis}`);
      console.error(`fan-out alone: ${size} subscribers, ${workers} workers: ${JSON.stringify(f)}`);
    }
  }
  const rows: Row[] = [];
  for (const variant of fanoutOnly ? [] : variants) {
    const issue = await createBenchIssue(services, variant);
    for (const size of sizes) {
      for (const workers of workerCounts) {
        const row = await measure(services, variant, issue, size, workers);
        rows.push(row);
        console.error(`done: ${JSON.stringify(row)}`);
      }
    }
  }
  const finishedJobs = Object.values(await services.queues.deliver.getJobCounts('completed', 'failed')).reduce((a, b) => a + b, 0);
  console.log('\nTidings bench/send — everything on this machine (2 cores): PostgreSQL, Redis, workers, Postfix smtp-sink');
  console.log(`worker concurrency ${concurrency}, SMTP pool ${poolSize} connections per worker process, NODE_OPTIONS=${process.env.NODE_OPTIONS ?? WORKER_NODE_OPTIONS}; ceiling = smtp-source → smtp-sink, same size, same connection count, the mean of a run before and after each send${warm ? `; workers warmed up with a send of ${warm} first (--warm)` : ''}\n`);
  console.log('variant | subscribers | workers | message KB | fan-out/s | sent/s | ceiling/s (before → after) | ratio | peer sent/s | × peer | peak worker RSS MB | peak Redis MB (jobs waiting) | sink − sent | CPU ms/msg: workers · PostgreSQL · Redis · smtp-sink');
  console.log('---|---|---|---|---|---|---|---|---|---|---|---|---|---');
  for (const r of rows) {
    const cpu = r.cpuMsPerMessage;
    const peer = r.peerPerSec === null ? '– | –' : `${r.peerPerSec} | ${Math.round((r.sendPerSec / r.peerPerSec) * 100) / 100}`;
    console.log(`${r.variant} | ${r.size} | ${r.workers} | ${r.messageKb} | ${r.fanoutPerSec} | ${r.sendPerSec} | ${r.ceilingPerSec} (${r.ceilingBeforeAfter.join(' → ')}) | ${r.ratio} | ${peer} | ${r.peakRssMb} | ${r.peakRedisMb} (${r.peakQueuedJobs}) | ${r.sinkMinusSent} | ${cpu.workers} · ${cpu.postgres} · ${cpu.redis} · ${cpu.sink}`);
  }
  const [load1, load5] = os.loadavg();
  console.log(`\nLoad average at the end: ${load1.toFixed(2)} (1 min), ${load5.toFixed(2)} (5 min) on ${os.cpus().length} cores`);
  console.log(`\nFan-out alone (deliver queue paused; FANOUT_JOBS=${process.env.FANOUT_JOBS ?? 'default'}):\n\nsubscribers | workers | deliveries queued/s | CPU µs per delivery: workers · PostgreSQL · Redis`);
  console.log('---|---|---|---');
  for (const line of fanoutRows) console.log(line);
  console.log(`Redis memory per queued job: ${perJob} bytes; finished jobs kept in Redis: ${finishedJobs}`);
  await services.queues.deliver.obliterate({ force: true }).catch(() => {});
  await services.queues.fanout.obliterate({ force: true }).catch(() => {});
  await services.close();
  await dropDatabase(env.DATABASE_URL);
} finally {
  sink.kill('SIGTERM');
  rmSync(sinkLog, { force: true });
}
