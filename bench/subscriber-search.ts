// Subscriber search at a million subscribers: the app's search box (any part of the address or name, newest
// first, 50 a page) against a fresh database with the real migrations and their trigram indexes.
// Run: npm run bench:search  (SUBSCRIBERS=1000000 by default). Prints milliseconds per query.
import { randomBytes } from 'node:crypto';
import { browseSubscribers } from '../src/db/subscriber-browse';
import { migrate } from '../src/db/migrate';
import { createPool, dropDatabase, ensureDatabase } from '../src/db/pool';

const count = Number(process.env.SUBSCRIBERS ?? 1_000_000);
const url = `postgres://127.0.0.1:5432/tidings_bench_search_${randomBytes(3).toString('hex')}`;
await ensureDatabase(url);
const pool = createPool(url, 4);
try {
  await migrate(pool);
  const started = Date.now();
  // Names and domains as real lists have them: a few big providers, many small domains, CJK and Latin names.
  await pool.query(
    `INSERT INTO subscribers (email, name, attributes)
     SELECT 'reader' || g || '.' || substr(md5(g::text), 1, 6) || '@' ||
            (ARRAY['gmail.com','yahoo.com','outlook.com','qq.com','163.com'])[1 + g % 5],
            (ARRAY['Ada','Bob','Chen Wei','李娜','Maria','Kenji','Olu','王芳'])[1 + g % 8] || ' ' || substr(md5((g * 7)::text), 1, 5),
            '{}'::jsonb
     FROM generate_series(1, $1) g`,
    [count],
  );
  await pool.query('ANALYZE subscribers');
  console.log(`${count.toLocaleString('en')} subscribers inserted and indexed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const queries: Array<[string, string]> = [
    ['a rare part of an address', `reader${Math.floor(count / 3)}.`],
    ['an exact address', `reader${Math.floor(count / 2)}`],
    ['a part of a name (Latin)', 'chen wei 3a'],
    ['a part of a name (Chinese)', '李娜'],
    ['a common domain (many matches)', 'gmail.com'],
    ['no match', 'zzzzqqqq'],
  ];
  for (const [label, q] of queries) {
    await browseSubscribers(pool, { q }, { limit: 50 }); // warm
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = process.hrtime.bigint();
      const rows = await browseSubscribers(pool, { q }, { limit: 50 });
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (i === 0) process.stdout.write(`${label.padEnd(34)} '${q}': ${String(rows.length).padStart(2)} rows, `);
    }
    times.sort((a, b) => a - b);
    console.log(`median ${times[2].toFixed(1)} ms, worst ${times[4].toFixed(1)} ms`);
  }
} finally {
  await pool.end();
  await dropDatabase(url);
}
