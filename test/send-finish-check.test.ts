import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishSendsIfDone } from '../src/db/sends';
import { UNFINISHED_DELIVERY_STATES } from '../src/db/states';
import { startSend } from '../src/send/control';
import { seedSend, startStack, type TestStack } from './helpers';

// The "is the send finished?" check that workers run every FINISH_CHECK_MS while a send goes out: right in
// every case, and answered from deliveries_pending_idx backwards, so its cost does not grow with what was sent.
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

async function sendWithDeliveries(slug: string, count: number): Promise<number> {
  const { issueId } = await seedSend(stack, slug, count);
  const { send } = await startSend(stack.services, issueId, slug);
  const { pool } = stack.services;
  // No workers run here: the deliveries are made as the fan-out makes them, and the send is marked as sending.
  await pool.query(
    `INSERT INTO deliveries (send_id, subscriber_id, status)
     SELECT $1, sub.subscriber_id, 'queued' FROM subscriptions sub JOIN sends s ON s.list_id = sub.list_id WHERE s.id = $1 ORDER BY sub.subscriber_id`,
    [send.id],
  );
  await pool.query("UPDATE sends SET status = 'sending' WHERE id = $1", [send.id]);
  return send.id;
}

describe('the statements workers run every few milliseconds', () => {
  it('run with JIT off: compiling a claim cost more than running it once a partition held a million deliveries', async () => {
    const { rows } = await stack.services.pool.query<{ jit: string }>('SHOW jit');
    expect(rows[0].jit).toBe('off');
  });
});

describe('the finish check', () => {
  it('uses the partial index of unfinished deliveries, whose predicate is exactly the unfinished states', async () => {
    const { rows } = await stack.services.pool.query<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'deliveries_pending_idx'");
    const states = /status = ANY \(ARRAY\[(.*)\]\)/.exec(rows[0].def)![1].match(/'([a-z_]+)'/g)!.map((s) => s.slice(1, -1));
    // If this fails, UNFINISHED_DELIVERY_STATES changed: change deliveries_pending_idx in a migration to match.
    expect(states).toEqual([...UNFINISHED_DELIVERY_STATES]);
  });

  it('finishes a send only when no delivery is queued, sending or retrying, wherever that one is', async () => {
    const sendId = await sendWithDeliveries('finish-check', 400);
    const { pool } = stack.services;
    const ids = (await pool.query<{ id: string }>('SELECT id FROM deliveries WHERE send_id = $1 ORDER BY id', [sendId])).rows.map((r) => Number(r.id));
    await pool.query("UPDATE deliveries SET status = 'sent', sent_at = now() WHERE send_id = $1", [sendId]);
    // One unfinished delivery, first, in the middle or last, in each unfinished state: not finished.
    for (const id of [ids[0], ids[200], ids[399]]) {
      for (const state of UNFINISHED_DELIVERY_STATES) {
        await pool.query('UPDATE deliveries SET status = $2 WHERE send_id = $3 AND id = $1', [id, state, sendId]);
        expect(await finishSendsIfDone(pool, [sendId])).toEqual([]);
        await pool.query("UPDATE deliveries SET status = 'sent' WHERE send_id = $2 AND id = $1", [id, sendId]);
      }
    }
    await pool.query("UPDATE deliveries SET status = 'failed', failure_kind = 'recipient' WHERE send_id = $2 AND id = $1", [ids[7], sendId]);
    expect(await finishSendsIfDone(pool, [sendId])).toEqual([sendId]);
    const { rows } = await pool.query('SELECT status, sent_count, failed_count FROM sends WHERE id = $1', [sendId]);
    expect(rows[0]).toEqual({ status: 'finished', sent_count: 399, failed_count: 1 });
    // Finished once: a second check changes nothing.
    expect(await finishSendsIfDone(pool, [sendId])).toEqual([]);
  });

  it('reads the newest unfinished delivery backwards through the index, not every delivery already sent', async () => {
    const sendId = await sendWithDeliveries('finish-plan', 5000);
    const { pool } = stack.services;
    // Most of the send went out, as in the middle of a big send: its old index entries are still there.
    await pool.query("UPDATE deliveries SET status = 'sending' WHERE send_id = $1 AND id < (SELECT min(id) + 4000 FROM deliveries WHERE send_id = $1)", [sendId]);
    await pool.query("UPDATE deliveries SET status = 'sent' WHERE send_id = $1 AND status = 'sending'", [sendId]);
    await pool.query('ANALYZE deliveries');
    // The statement as the workers run it (named, so prepared on this connection), then its generic plan.
    const client = await pool.connect();
    try {
      for (let i = 0; i < 6; i++) expect(await finishSendsIfDone(client as unknown as pg.Pool, [sendId])).toEqual([]);
      await client.query("SET plan_cache_mode = 'force_generic_plan'");
      const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE "finish-sends-if-done"('{${sendId}}')`);
      const plan = JSON.stringify(rows[0]['QUERY PLAN']);
      expect(plan).toMatch(/"Scan Direction":"Backward"/);
      expect(plan).toMatch(/"Index Name":"deliveries_[a-z0-9_]*send_id_id_idx"/);
      // A handful of pages, not the 4,000 sent deliveries' entries.
      const buffers = [...plan.matchAll(/"Shared Hit Blocks":(\d+)/g)].map((m) => Number(m[1]));
      expect(Math.max(...buffers)).toBeLessThan(50);
    } finally {
      await client.query("SET plan_cache_mode = 'auto'");
      client.release();
    }
  });
});
