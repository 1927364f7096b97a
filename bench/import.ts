/**
 * bench/import: streams generated CSV rows (default 1,000,000) through the real import into a fresh database
 * and prints rows per second and the peak RSS. Target: ≥ 50,000 rows/s on a 2-core machine.
 *
 *   npm run bench:import [-- --rows 1000000 --batch 2000]
 */
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
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

let peakRss = 0;
const sample = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 50);

await ensureDatabase(databaseUrl);
const pool = createPool(databaseUrl, 4);
try {
  await migrate(pool);
  const list = await createList(pool, { slug: 'bench', name: 'Bench' });
  const job = await createImportJob(pool, { listId: list.id, source: 'bench', subscriptionStatus: 'confirmed' });
  const started = process.hrtime.bigint();
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
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
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
      // CPU time of this process (parsing, checking, encoding the batches); the rest is PostgreSQL and waiting.
      nodeCpuSeconds: Math.round(((process.cpuUsage().user + process.cpuUsage().system) / 1e6) * 10) / 10,
      batchSize,
      writers,
    }),
  );
} finally {
  clearInterval(sample);
  await pool.end();
  await dropDatabase(databaseUrl);
}
