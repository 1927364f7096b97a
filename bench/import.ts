/**
 * bench/import: streams generated CSV rows (default 1,000,000) through the real import into a fresh database
 * and prints rows per second, the peak RSS, and the CPU per row of this process (reading, checking, COPY text)
 * and of its own PostgreSQL backends (the merge), read from /proc: on a shared machine the rate moves with
 * the load, the CPU per row much less. `cpuBoundRowsPerSecond` is what the cores would give if the import had
 * them to itself (cores / total CPU per row; Node and the backends run in parallel). Target: ≥ 150,000 rows/s.
 *
 *   npm run bench:import [-- --rows 1000000 --batch 2000]
 */
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createPool, dropDatabase, ensureDatabase } from '../src/db/pool';
import { migrate } from '../src/db/migrate';
import { createList } from '../src/db/lists';
import { createImportJob } from '../src/db/imports';
import { importCsv } from '../src/imports/csv-import';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rows = arg('rows', 1_000_000);
const batchSize = arg('batch', 5000);
const writers = arg('writers', 3);
const base = process.env.BENCH_DATABASE_URL ?? 'postgres://127.0.0.1:5432';
const databaseUrl = `${base}/tidings_bench_import_${process.pid}_${randomBytes(3).toString('hex')}`;

/** CSV generated as it is read, so the file never exists whole in memory. A few bad and duplicate rows on purpose. */
function generatedCsv(count: number): Readable {
  let i = 0;
  const cities = ['London', 'Paris', '北京', 'Lagos', 'Lima', 'Oslo'];
  return new Readable({
    read() {
      if (i === 0) this.push('email,name,city,age:number\n');
      const chunk: string[] = [];
      for (let n = 0; n < 5000 && i < count; n++, i++) {
        if (i % 100_000 === 99_999) chunk.push(`not-an-address-${i},Broken,Nowhere,1`);
        else if (i % 100_000 === 50_000) chunk.push(`reader${i - 1}@example.com,Duplicate,Paris,2`);
        else chunk.push(`reader${i}@example.com,Reader ${i},${cities[i % cities.length]},${20 + (i % 60)}`);
      }
      this.push(chunk.join('\n') + '\n');
      if (i >= count) this.push(null);
    },
  });
}

/** CPU seconds (user + system) of a process so far, from /proc (USER_HZ 100). */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

let peakRss = 0;
const sample = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 50);

await ensureDatabase(databaseUrl);
const pool = createPool(databaseUrl, 4);
// The import's own backends (PostgreSQL runs on this machine): their CPU is the merge's, whoever else shares the server.
const backends = new Set<number>();
pool.on('connect', (client) => {
  backends.add((client as unknown as { processID: number }).processID);
});
try {
  await migrate(pool);
  const list = await createList(pool, { slug: 'bench', name: 'Bench' });
  const job = await createImportJob(pool, { listId: list.id, source: 'bench', subscriptionStatus: 'confirmed' });
  const started = process.hrtime.bigint();
  const nodeCpuBefore = process.cpuUsage();
  const backendCpuBefore = new Map([...backends].map((pid) => [pid, processCpuSeconds(pid)]));
  let lastPrint = 0;
  const report = await importCsv(pool, list.id, generatedCsv(rows), {
    status: 'confirmed',
    batchSize,
    writers,
    jobId: job.id,
    onProgress: ({ rowsRead }) => {
      if (rowsRead - lastPrint >= 100_000) {
        lastPrint = rowsRead;
        process.stderr.write(`  ${rowsRead.toLocaleString('en-US')} rows\n`);
      }
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const nodeCpu = process.cpuUsage(nodeCpuBefore);
  const nodeCpuSeconds = (nodeCpu.user + nodeCpu.system) / 1e6;
  let postgresCpuSeconds = 0;
  for (const pid of backends) postgresCpuSeconds += processCpuSeconds(pid) - (backendCpuBefore.get(pid) ?? 0);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const micros = (s: number) => Math.round((s * 1e6 * 10) / rows) / 10;
  const { rows: check } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM subscriptions WHERE list_id = $1', [list.id]);
  console.log(
    JSON.stringify({
      rows,
      imported: report.imported,
      rejected: report.rejectedCount,
      subscriptions: check[0].n,
      seconds: Math.round(seconds * 100) / 100,
      rowsPerSecond: Math.round(rows / seconds),
      peakRssMb: Math.round(peakRss / 1048576),
      // CPU per row: this process (parsing, checking, the COPY text) and its PostgreSQL backends (COPY, merge).
      cpuMicrosPerRow: { node: micros(nodeCpuSeconds), postgres: micros(postgresCpuSeconds) },
      cpuBoundRowsPerSecond: Math.round((os.cpus().length * rows) / (nodeCpuSeconds + postgresCpuSeconds)),
      loadAverage: Math.round(os.loadavg()[0] * 100) / 100,
      cores: os.cpus().length,
      batchSize,
      writers,
    }),
  );
} finally {
  clearInterval(sample);
  await pool.end();
  await dropDatabase(databaseUrl);
}
