/**
 * bench/http — how fast the open pixel and tracked links answer, and that no event is lost, even across a
 * graceful restart.
 *
 *   npm run bench:http -- [--connections 50] [--requests 30000] [--deliveries 2000] [--seconds 10]
 *
 * Starts `tidings serve` as a child process on loopback against a fresh database holding one send with
 * `--deliveries` deliveries, then for GET /o/<token> and for GET /c/<token>/<linkId> in turn:
 *   0. rate: wrk (when installed: C, so the load generator takes less of the CPU) for `--seconds`;
 *   1. steady: autocannon sends `--requests` requests (every delivery in turn) and prints requests/second
 *      and latency percentiles;
 *   2. restart: the same load, and a SIGTERM to the server after a second; a new server starts on the same
 *      port when the old one has exited. Requests that find no server fail (connection refused) — that is
 *      expected; what must hold is that every 200 (open) or 302 (click) answer has its event in PostgreSQL.
 * After phases 1 and 2: events in PostgreSQL == 2xx/3xx answers, or the bench exits 1.
 * Everything runs on this machine; the figures depend on what else runs on it (the load average is printed).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { createServices } from '../src/app/services';
import { loadConfig } from '../src/config';
import { saveIssue } from '../src/db/issues';
import { createList } from '../src/db/lists';
import { migrate } from '../src/db/migrate';
import { dropDatabase, ensureDatabase } from '../src/db/pool';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const connections = Number(arg('connections', '50'));
const requests = Number(arg('requests', '30000'));
const deliveryCount = Number(arg('deliveries', '2000'));
const seconds = Number(arg('seconds', '10'));
const port = 20000 + Math.floor(Math.random() * 20000);

const env: Record<string, string> = {
  NODE_ENV: 'test',
  DATABASE_URL: `postgres://127.0.0.1:5432/tidings_bench_http_${process.pid}`,
  REDIS_URL: 'redis://127.0.0.1:6379',
  QUEUE_PREFIX: `tidings-bench-http-${process.pid}`,
  SECRET_KEY: 'bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz',
  PUBLIC_URL: `http://127.0.0.1:${port}`,
  PORT: String(port),
  LOG_LEVEL: 'warn',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `tidings serve` in a child process; resolves when it answers /healthz. */
async function startServer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(root, 'bin/tidings.mjs'), 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  // Generous: on a loaded machine a start can take many seconds.
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`tidings serve exited with code ${child.exitCode}`);
    const ok = await fetch(`${env.PUBLIC_URL}/healthz`).then((r) => r.ok, () => false);
    if (ok) return child;
    await sleep(50);
  }
  child.kill('SIGTERM');
  throw new Error('tidings serve did not start within 60 s');
}

function stopServer(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

const hasWrk = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { status?: number }).status === 1; // wrk --version exits 1 after printing its version
  }
})();

/** wrk over the paths in turn for `seconds`: requests per second, and answers other than 2xx/3xx. */
function wrkRate(paths: string[]): { perSec: number; bad: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidings-wrk-'));
  try {
    writeFileSync(path.join(dir, 'paths.txt'), paths.join('\n') + '\n');
    writeFileSync(
      path.join(dir, 'paths.lua'),
      `local paths = {}\nfor line in io.lines("${path.join(dir, 'paths.txt')}") do paths[#paths + 1] = line end\n` +
        `local i = math.random(#paths)\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`,
    );
    const out = execFileSync('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '-s', path.join(dir, 'paths.lua'), env.PUBLIC_URL], { encoding: 'utf8' });
    return { perSec: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1])), bad: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function load(paths: string[], amount: number): Promise<autocannon.Result> {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: env.PUBLIC_URL,
        connections,
        amount,
        timeout: 10,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }) }],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function main(): Promise<void> {
  await dropDatabase(env.DATABASE_URL);
  await ensureDatabase(env.DATABASE_URL);
  const services = createServices(loadConfig(env), pino({ level: 'warn' }));
  let failed = false;
  try {
    const { pool, links } = services;
    await migrate(pool);
    // One send with `deliveryCount` deliveries, made directly: the bench measures the HTTP side only.
    const list = await createList(pool, { slug: 'bench', name: 'Bench' });
    const { issue } = await saveIssue(pool, { slug: 'bench', subject: 'Bench', preheader: '', template: 'default', defaultName: '', source: '', sourceHash: 'bench', html: '<p></p>', text: '', language: 'en', renderings: [] });
    await pool.query(
      `INSERT INTO subscribers (email) SELECT 'bench' || g || '@example.com' FROM generate_series(1, $1) g`,
      [deliveryCount],
    );
    const { rows: sendRows } = await pool.query<{ id: number }>('INSERT INTO sends (issue_id, list_id, status) VALUES ($1, $2, $3) RETURNING id', [issue.id, list.id, 'finished']);
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO deliveries (send_id, subscriber_id, status, sent_at) SELECT $1, id, 'sent', now() - interval '1 hour' FROM subscribers RETURNING id`,
      [sendRows[0].id],
    );
    await pool.query(`INSERT INTO issue_links (issue_id, link_id, url) VALUES ($1, 1, 'https://example.com/one'), ($1, 2, 'https://example.com/two')`, [issue.id]);
    const routes = [
      { name: 'GET /o/:token', type: 'open', ok: '2xx' as const, paths: rows.map((r) => new URL(links.openPixel(r.id)).pathname) },
      { name: 'GET /c/:token/:linkId', type: 'click', ok: '3xx' as const, paths: rows.map((r, i) => `${new URL(links.clickBase(r.id)).pathname}/${(i % 2) + 1}`) },
    ];
    const eventsOf = async (type: string) => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE type = $1', [type])).rows[0].n;

    let server = await startServer();
    for (const route of routes) {
      const { paths, type } = route;
      // Warm up (JIT, connection pools), then count from a clean table.
      await load(paths, 2000);
      if (hasWrk) {
        const rate = wrkRate(paths);
        console.log(`\n${route.name}: wrk -t2 -c${connections} -d${seconds}s: ${rate.perSec} requests/s, answers other than 2xx/3xx: ${rate.bad}, load average ${os.loadavg()[0].toFixed(2)}`);
      }
      await sleep(500);
      await pool.query('DELETE FROM events');

      const steady = await load(paths, requests);
      await sleep(500);
      const steadyEvents = await eventsOf(type);
      const steadyOk = steady[route.ok];
      console.log(`\n${route.name}, steady load: ${requests} requests over ${connections} connections (autocannon)`);
      console.log(`  requests/s: ${Math.round(steady.requests.average)} (avg), latency p50 ${steady.latency.p50} ms, p99 ${steady.latency.p99} ms, max ${steady.latency.max} ms`);
      console.log(`  ${route.ok} answers: ${steadyOk}, ${type} events in PostgreSQL: ${steadyEvents}, lost: ${steadyOk - steadyEvents}`);
      if (steadyEvents !== steadyOk) failed = true;

      await pool.query('DELETE FROM events');
      const during = load(paths, requests);
      await sleep(1000);
      const stoppedAt = Date.now();
      const code = await stopServer(server);
      server = await startServer();
      const gap = Date.now() - stoppedAt;
      const restart = await during;
      await sleep(500);
      const restartEvents = await eventsOf(type);
      const restartOk = restart[route.ok];
      console.log(`\n${route.name}, graceful restart during load (old server exited with ${code}, new one answering after ${gap} ms)`);
      console.log(`  requests/s: ${Math.round(restart.requests.average)} (avg), latency p99 ${restart.latency.p99} ms, errors (no server): ${restart.errors}`);
      console.log(`  ${route.ok} answers: ${restartOk}, ${type} events in PostgreSQL: ${restartEvents}, lost: ${restartOk - restartEvents}`);
      if (restartEvents !== restartOk) failed = true;
    }
    await stopServer(server);
    console.log(failed ? '\nFAIL: events were lost' : '\nOK: every 2xx/3xx answer has its event');
    console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 min) on ${os.cpus().length} cores`);
  } finally {
    await services.close();
    await dropDatabase(env.DATABASE_URL);
  }
  process.exit(failed ? 1 : 0);
}

await main();
