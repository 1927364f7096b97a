import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseSubscribers } from '../src/db/subscriber-browse';
import { searchSubscribers } from '../src/db/subscriber-admin';
import { startStack, type TestStack } from './helpers';

// Search reads one trigram index over "address name" (migration 0170); the rule stays: a part of the
// address or of the name, never a part spanning the two.
describe('subscriber search over the one trigram index', () => {
  let stack: TestStack;
  const emails = async (q: string) => (await browseSubscribers(stack.services.pool, { q }, { limit: 50 })).map((r) => r.email).sort();

  beforeAll(async () => {
    stack = await startStack();
    await stack.services.pool.query(
      `INSERT INTO subscribers (email, name) VALUES ('ada@example.com', 'Ada Lovelace'), ('Grace@Navy.mil', 'Grace Hopper'), ('li@example.cn', '李娜'), ('x@y.org', '')`,
    );
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('finds a part of the address or of the name, in any case, short or long', async () => {
    expect(await emails('EXAMPLE.com')).toEqual(['ada@example.com']);
    expect(await emails('navy')).toEqual(['Grace@Navy.mil']);
    expect(await emails('lovelace')).toEqual(['ada@example.com']);
    expect(await emails('ada lo')).toEqual(['ada@example.com']);
    expect(await emails('李娜')).toEqual(['li@example.cn']);
    expect(await emails('@y')).toEqual(['x@y.org']);
    expect(await emails('%')).toEqual([]);
  });

  it('does not match a part spanning the address and the name', async () => {
    expect(await emails('com ada')).toEqual([]);
    expect(await emails('mil grace')).toEqual([]);
    expect(await emails('org ')).toEqual([]);
  });

  it('an address-only search does not match the name', async () => {
    const found = async (emailContains: string) =>
      (await searchSubscribers(stack.services.pool, { emailContains, afterId: 0, limit: 50 })).map((r) => r.email).sort();
    expect(await found('example')).toEqual(['ada@example.com', 'li@example.cn']);
    expect(await found('hopper')).toEqual([]);
    expect(await found('Gr')).toEqual(['Grace@Navy.mil']);
    expect(await found('ex')).toEqual(['ada@example.com', 'li@example.cn']);
  });

  it('the plan can take the index for a part of three characters or more', async () => {
    const client = await stack.services.pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query(`EXPLAIN SELECT id FROM subscribers s WHERE (lower(s.email) || ' ' || lower(s.name)) LIKE '%lovelace%'`);
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('subscribers_search_trgm_idx');
    } finally {
      client.release(true);
    }
  });
});
