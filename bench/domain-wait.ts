/**
 * bench/domain-wait: what a throttled domain's backlog costs while it waits. A send of 50,000 deliveries
 * to gmail.com under DOMAIN_LIMITS='gmail.com=1/s; *=1000/s' (workers in this process, a real SMTP peer),
 * then, once every job waits on the group's queue, the CPU of the workers and of Redis over a window, and
 * how many deliveries were claimed meanwhile (only the 1/s that go out should be).
 *
 * With --warmup (npm run bench:warmup-hold): the same send under WARMUP='day1=1000, then x1.5 daily up to
 * 200000' instead: 1,000 go out, every route's cap is reached and the other 49,000 are held until the next day;
 * the window (35 s by default, longer than BullMQ's 30 s look at a held queue) should see none sent or claimed.
 *
 *   npm run bench:domain-wait [-- --deliveries 50000 --seconds 10]
 *   npm run bench:warmup-hold [-- --deliveries 50000 --seconds 35]
 */
import { pino } from 'pino';
import { createServices } from '../src/app/services';
import { loadConfig } from '../src/config';
import { migrate } from '../src/db/migrate';
import { createList } from '../src/db/lists';
import { dropDatabase, ensureDatabase } from '../src/db/pool';
import { upsertSubscribers } from '../src/db/subscribers';
import { createIssueFromFile } from '../src/issues/create-issue';
import { SAMPLE_ISSUE } from '../src/cli/demo';
import { CaptureServer } from '../src/mail/capture-server';
import { createSmtpMailer } from '../src/mail/mailer';
import { startSend } from '../src/send/control';
import { startWorkers } from '../workers/index';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const warmup = process.argv.includes('--warmup');
const n = arg('deliveries', 50_000);
const seconds = arg('seconds', warmup ? 35 : 10);
const day1 = 1000;
const id = `${process.pid}`;

const smtp = new CaptureServer();
await smtp.listen();
const env = {
  NODE_ENV: 'test',
  DATABASE_URL: `postgres://127.0.0.1:5432/tidings_bench_domain_${id}`,
  QUEUE_PREFIX: `tidings-bench-domain-${id}`,
  SMTP_URL: smtp.url,
  ...(warmup ? { WARMUP: `day1=${day1}, then x1.5 daily up to 200000` } : { DOMAIN_LIMITS: 'gmail.com=1/s; *=1000/s' }),
  // The whole backlog in Redis: the point is what it costs there.
  FANOUT_AHEAD: '0',
  LOG_LEVEL: 'silent',
};
await ensureDatabase(env.DATABASE_URL);
const services = createServices(loadConfig(env), pino({ level: 'silent' }));
const redisCpu = async () => {
  const info = await services.redis.info('cpu');
  return (Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_user:([\d.]+)/.exec(info)![1])) * 1000;
};
try {
  await migrate(services.pool);
  const listId = (await createList(services.pool, { slug: 'gmail', name: 'Gmail readers' })).id;
  for (let i = 0; i < n; i += 5000) {
    const batch = Array.from({ length: Math.min(5000, n - i) }, (_, k) => ({ email: `r${i + k}@gmail.com`, name: '', attributes: {} }));
    await upsertSubscribers(services.pool, listId, batch, 'confirmed');
  }
  const issueId = (await createIssueFromFile(services.pool, SAMPLE_ISSUE, { assetBaseUrl: services.config.assetBaseUrl })).issue.id;
  const workers = await startWorkers(services, createSmtpMailer({ url: smtp.url, poolSize: 5 }), { concurrency: 50 });
  const { send } = await startSend(services, issueId, 'gmail');
  const queue = warmup ? services.queues.deliver : services.queues.domainDeliver.get('deliver-gmail.com')!;
  // Wait until the fan-out is over and the backlog sits on the gmail.com queue (or, held by the warm-up, on
  // the main queue once the day's cap is used up and nothing is on its way back).
  for (;;) {
    const { rows } = await services.pool.query<{ status: string; sending: number }>(
      "SELECT status, (SELECT count(*)::int FROM deliveries WHERE send_id = $1 AND status = 'sending') AS sending FROM sends WHERE id = $1", [send.id]);
    const counts = await queue.getJobCounts('waiting');
    const ready = warmup ? rows[0].sending === 0 && smtp.accepted >= day1 && counts.waiting >= n - day1 : counts.waiting >= n - 100;
    if (rows[0].status === 'sending' && ready) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const claimed = async () =>
    Number((await services.pool.query<{ n: string }>("SELECT count(*) AS n FROM deliveries WHERE send_id = $1 AND attempts > 0", [send.id])).rows[0].n);
  const before = { cpu: process.cpuUsage(), redis: await redisCpu(), claimed: await claimed(), sent: smtp.accepted, at: Date.now() };
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const cpu = process.cpuUsage(before.cpu);
  const after = { redis: await redisCpu(), claimed: await claimed(), sent: smtp.accepted, at: Date.now() };
  const elapsed = (after.at - before.at) / 1000;
  const waiting = (await queue.getJobCounts('waiting')).waiting;
  const workerMs = (cpu.user + cpu.system) / 1000;
  console.log(warmup ? `deliveries held by the warm-up: ${waiting} (of ${n}; ${smtp.accepted} sent today, the cap)` : `deliveries waiting on gmail.com: ${waiting} (of ${n})`);
  console.log(`over ${elapsed.toFixed(1)} s: ${after.sent - before.sent} sent, ${after.claimed - before.claimed} claimed`);
  console.log(`CPU per second of waiting: workers ${(workerMs / elapsed).toFixed(1)} ms, Redis ${((after.redis - before.redis) / elapsed).toFixed(1)} ms`);
  console.log(`CPU per waiting delivery per second: ${(((workerMs + after.redis - before.redis) / elapsed / waiting) * 1000).toFixed(3)} µs`);
  await workers.close();
} finally {
  // Leave nothing of the bench in Redis.
  let cursor = '0';
  do {
    const [next, keys] = await services.redis.scan(cursor, 'MATCH', `${env.QUEUE_PREFIX}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await services.redis.del(...keys);
  } while (cursor !== '0');
  await services.close();
  await smtp.close();
  await dropDatabase(env.DATABASE_URL);
}
