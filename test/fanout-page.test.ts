import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryPage } from '../src/db/deliveries';
import { inTransaction } from '../src/db/pool';
import { seedSend, startStack, type TestStack } from './helpers';

describe('a fan-out page in PostgreSQL', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  }, 60_000);
  afterAll(async () => stack?.close());

  it('returns the new deliveries from its INSERT, and when done again queues exactly those still queued', async () => {
    const { pool } = stack.services;
    const { listId, issueId } = await seedSend(stack, 'pages', 30);
    const { rows } = await pool.query<{ id: number }>('INSERT INTO sends (issue_id, list_id, status) VALUES ($1, $2, $3) RETURNING id', [issueId, listId, 'fanning_out']);
    const sendId = rows[0].id;
    const page = (after: number, size: number) => inTransaction(pool, (client) => createDeliveryPage(client, sendId, listId, after, size));

    const first = await page(0, 20);
    expect(first.queuedDeliveryIds).toHaveLength(20);
    const stored = await pool.query<{ id: number; subscriber_id: number }>('SELECT id, subscriber_id FROM deliveries WHERE send_id = $1 ORDER BY subscriber_id', [sendId]);
    expect(first.queuedDeliveryIds).toEqual(stored.rows.map((r) => r.id));
    expect(first.lastSubscriberId).toBe(stored.rows[19].subscriber_id);

    // The worker died before the cursor moved, and meanwhile two of them were sent: the page done again
    // creates nothing and queues the other eighteen, in order.
    await pool.query("UPDATE deliveries SET status = 'sent' WHERE id = ANY($1)", [[first.queuedDeliveryIds[3], first.queuedDeliveryIds[7]]]);
    const again = await page(0, 20);
    expect(again.lastSubscriberId).toBe(first.lastSubscriberId);
    expect(again.queuedDeliveryIds).toEqual(first.queuedDeliveryIds.filter((_, i) => i !== 3 && i !== 7));
    // Half old (the 11th to 20th, queued), half new (the 21st to 30th): both kinds come back.
    const overlap = await page(stored.rows[9].subscriber_id, 20);
    expect(overlap.queuedDeliveryIds.slice(0, 10)).toEqual(first.queuedDeliveryIds.slice(10));
    expect(overlap.queuedDeliveryIds).toHaveLength(20);
    expect((await pool.query('SELECT count(*)::int AS n FROM deliveries WHERE send_id = $1', [sendId])).rows[0].n).toBe(30);
    expect((await page(first.lastSubscriberId!, 20)).queuedDeliveryIds).toHaveLength(10);
    expect(await page(Number.MAX_SAFE_INTEGER, 20)).toEqual({ lastSubscriberId: null, queuedDeliveryIds: [] });
  });
});
