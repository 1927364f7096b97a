import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRecipients } from '../src/db/deliveries';
import { compileSegment } from '../src/db/segment-filter';
import { segmentDefinition } from '../src/segments/definition';
import { startStack, type TestStack } from './helpers';

describe('segment definitions as SQL', () => {
  it('passes every value as a parameter and joins conditions with AND or OR', () => {
    const def = segmentDefinition.parse({
      match: 'any',
      conditions: [
        { field: 'attribute', key: "x'); DROP TABLE subscribers; --", op: 'eq', value: "'; --" },
        { field: 'email', op: 'ends_with', value: '%@example.com' },
        { field: 'engagement', op: 'not_opened', days: 30 },
      ],
    });
    const { sql, params } = compileSegment(def, 5);
    expect(sql).not.toContain('DROP');
    expect(sql).toContain(' OR ');
    expect(sql).toMatch(/\$5.*\$6.*\$7.*\$8/s);
    expect(params).toEqual(["x'); DROP TABLE subscribers; --", "'; --", '\\%@example.com', 30]);
  });

  it('refuses a days test with a date and a date test with days, naming the field', () => {
    const bad = segmentDefinition.safeParse({ conditions: [{ field: 'subscribed', op: 'within_days', value: '2026-01-01' }] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].message).toMatch(/number of days/);
    expect(segmentDefinition.safeParse({ conditions: [] }).success).toBe(false);
  });
});

describe('segments on a real list', () => {
  let stack: TestStack;
  let listId: number;
  beforeAll(async () => {
    stack = await startStack();
    const { pool } = stack.services;
    listId = (await pool.query<{ id: number }>(`INSERT INTO lists (slug, name) VALUES ('w', 'W') RETURNING id`)).rows[0].id;
    const people = [
      ['ada@a.test', 'Ada', { city: 'Berlin', plan: 'pro' }, '40 days'],
      ['bob@b.test', 'Bob', { city: 'berlin' }, '2 days'],
      ['cy@a.test', 'Cy', { city: 'Paris', plan: 'pro' }, '1 day'],
      ['dee@b.test', 'Dee', {}, '400 days'],
    ] as const;
    for (const [email, name, attributes, age] of people) {
      const id = (await pool.query<{ id: number }>('INSERT INTO subscribers (email, name, attributes) VALUES ($1, $2, $3) RETURNING id', [email, name, attributes])).rows[0].id;
      await pool.query(`INSERT INTO subscriptions (list_id, subscriber_id, status, created_at) VALUES ($1, $2, 'confirmed', now() - $3::interval)`, [listId, id, age]);
    }
    // Ada opened 3 days ago; Cy's only open came from a privacy proxy (it does not count); Bob clicked.
    await pool.query(`INSERT INTO events (type, subscriber_id, list_id, occurred_at) SELECT 'open', id, $1, now() - interval '3 days' FROM subscribers WHERE email = 'ada@a.test'`, [listId]);
    await pool.query(`INSERT INTO events (type, subscriber_id, list_id, flags) SELECT 'open', id, $1, ARRAY['apple_mpp'] FROM subscribers WHERE email = 'cy@a.test'`, [listId]);
    await pool.query(`INSERT INTO events (type, subscriber_id, list_id) SELECT 'click', id, $1 FROM subscribers WHERE email = 'bob@b.test'`, [listId]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const count = (definition: unknown) => countRecipients(stack.services.pool, listId, segmentDefinition.parse(definition));

  it('counts by attribute (case-insensitive), address, subscription age and human engagement, with AND and OR', async () => {
    expect(await count({ conditions: [{ field: 'attribute', key: 'city', op: 'eq', value: 'BERLIN' }] })).toBe(2);
    expect(await count({ conditions: [{ field: 'attribute', key: 'plan', op: 'missing' }] })).toBe(2);
    expect(await count({ conditions: [{ field: 'email', op: 'ends_with', value: '@a.test' }] })).toBe(2);
    expect(await count({ conditions: [{ field: 'subscribed', op: 'within_days', value: '30' }] })).toBe(2);
    expect(await count({ conditions: [{ field: 'subscribed', op: 'before_days', value: '365' }] })).toBe(1);
    expect(await count({ conditions: [{ field: 'engagement', op: 'opened', days: 7 }] })).toBe(1);
    expect(await count({ conditions: [{ field: 'engagement', op: 'not_opened', days: 7 }] })).toBe(3);
    expect(await count({ conditions: [{ field: 'attribute', key: 'plan', op: 'eq', value: 'pro' }, { field: 'engagement', op: 'opened', days: 7 }] })).toBe(1);
    expect(await count({ match: 'any', conditions: [{ field: 'engagement', op: 'clicked', days: 7 }, { field: 'engagement', op: 'opened', days: 7 }] })).toBe(2);
    expect(await countRecipients(stack.services.pool, listId)).toBe(4);
  });
});
