/**
 * bench/webhook-outbox: what the webhook outbox costs on the hot path. The deliver workers record results in
 * batches of up to 200 with one statement; with an endpoint listening to delivery.sent that same statement
 * also writes the batch's outbox rows. This times, on batches of 200, the bare UPDATE (the statement before
 * the outbox), recordDeliveryResults with no endpoint, then with one, over equal numbers of deliveries, and
 * counts the outbox rows written. `--explain` logs the plan of one batch with an endpoint (auto_explain).
 *
 *   npm run bench:webhook-outbox [-- --deliveries 30000]
 */
import { pino } from 'pino';
import { createServices } from '../src/app/services';
import { loadConfig } from '../src/config';
import { claimDeliveries, createDeliveryPage, recordDeliveryResults } from '../src/db/deliveries';
import { migrate } from '../src/db/migrate';
import { createList } from '../src/db/lists';
import { dropDatabase, ensureDatabase, inTransaction } from '../src/db/pool';
import { createSend } from '../src/db/sends';
import { upsertSubscribers } from '../src/db/subscribers';
import { createWebhookEndpoint } from '../src/db/webhooks';
import { createIssueFromFile } from '../src/issues/create-issue';
import { SAMPLE_ISSUE } from '../src/cli/demo';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const n = arg('deliveries', 30_000);
const BATCH = 200;
const env = {
  NODE_ENV: 'test',
  DATABASE_URL: `postgres://127.0.0.1:5432/tidings_bench_outbox_${process.pid}`,
  QUEUE_PREFIX: `tidings-bench-outbox-${process.pid}`,
  LOG_LEVEL: 'silent',
};
await ensureDatabase(env.DATABASE_URL);
const services = createServices(loadConfig(env), pino({ level: 'silent' }));
const { pool } = services;
try {
  await migrate(pool);
  const listId = (await createList(pool, { slug: 'bench', name: 'Bench' })).id;
  for (let i = 0; i < n; i += 5000) {
    await upsertSubscribers(pool, listId, Array.from({ length: Math.min(5000, n - i) }, (_, k) => ({ email: `r${i + k}@example.org`, name: `R${i + k}`, attributes: {} })), 'confirmed');
  }
  const issueId = (await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: services.config.assetBaseUrl })).issue.id;
  const send = await createSend(pool, issueId, listId);
  await pool.query(`UPDATE sends SET status = 'sending' WHERE id = $1`, [send.id]);
  const ids: number[] = [];
  for (let cursor = 0; ;) {
    const page = await inTransaction(pool, (client) => createDeliveryPage(client, send.id, listId, cursor, 5000));
    if (page.lastSubscriberId === null) break;
    ids.push(...page.queuedDeliveryIds);
    cursor = page.lastSubscriberId;
  }
  // Statistics as autovacuum would have them: a fresh table's plan would go through the 'sending' index.
  await pool.query('ANALYZE deliveries');
  const results = (batch: number[]) => batch.map((id) => ({ id, sendId: send.id, status: 'sent' as const, smtpResponse: '250 2.0.0 Ok: queued', messageId: `<m${id}@bench>`, failureKind: null, route: 'smtp.example.net:587' }));
  // The statement as it was before the outbox (the same UPDATE, no CTE): the baseline.
  const plain = (batch: number[]) => pool.query({
    name: 'record-plain',
    text: `UPDATE deliveries d SET status = r.status, smtp_response = r.smtp_response, message_id = r.message_id, smtp_route = r.route,
             sent_at = now(), locked_until = NULL, updated_at = now()
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) AS r (id, status, smtp_response, message_id, route, send_id)
           WHERE d.id = r.id AND d.send_id = r.send_id AND d.status = 'sending'`,
    values: [batch, batch.map(() => 'sent'), batch.map(() => '250 2.0.0 Ok: queued'), batch.map((id) => `<m${id}@bench>`), batch.map(() => 'smtp.example.net:587'), batch.map(() => send.id)],
  });
  const time = async (part: number[], record: (batch: number[]) => Promise<unknown> = (batch) => recordDeliveryResults(pool, results(batch))) => {
    let ms = 0;
    for (let i = 0; i < part.length; i += BATCH) {
      const batch = part.slice(i, i + BATCH);
      await claimDeliveries(pool, batch, 120);
      const started = performance.now();
      await record(batch);
      ms += performance.now() - started;
    }
    return ms / (part.length / BATCH);
  };
  const third = Math.floor(ids.length / 3);
  // A warm-up round for plans and caches, then the two measured halves.
  await time(ids.slice(0, 1000));
  const baseline = await time(ids.slice(1000, third), plain);
  const without = await time(ids.slice(third, 2 * third));
  await createWebhookEndpoint(pool, { url: 'https://example.com/hooks', events: ['delivery.sent'], description: '', secretSalt: 'bench' });
  const withEndpoint = await time(ids.slice(2 * third));
  if (process.argv.includes('--explain')) {
    const batch = ids.slice(2 * third, 2 * third + BATCH);
    await pool.query(`UPDATE deliveries SET status = 'sending' WHERE id = ANY($1::bigint[])`, [batch]);
    const client = await pool.connect();
    await client.query(`SET auto_explain.log_min_duration = 0`).catch(() => undefined);
    await client.query('LOAD \'auto_explain\'');
    await client.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_nested_statements = on; SET client_min_messages = log`);
    client.on('notice', (m) => console.log(m.message));
    await recordDeliveryResults(client as never, results(batch));
    client.release();
  }
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_events');
  console.log(`recording results, batches of ${BATCH}: ${baseline.toFixed(2)} ms for the UPDATE alone (before the outbox), ${without.toFixed(2)} ms without an endpoint, ${withEndpoint.toFixed(2)} ms with one listening to delivery.sent (+${(((withEndpoint - without) / BATCH) * 1000).toFixed(1)} µs per delivery)`);
  console.log(`outbox rows written: ${rows[0].n} (for ${ids.length - 2 * third} deliveries after the endpoint was registered)`);
} finally {
  await services.close();
  await dropDatabase(env.DATABASE_URL);
}
