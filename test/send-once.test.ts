import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { upsertSubscribers } from '../src/db/subscribers';
import { startSend } from '../src/send/control';
import { createApp } from '../src/http/app';
import { seedSend, startStack, type TestStack } from './helpers';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

// Issue 11.1: an issue goes to a list once, unless the operator says --again.
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ workers: true });
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

const recipients = (from: number) => stack.smtp.messages.slice(from).map((m) => m.to[0]).sort();

describe('a second send of an issue to the same list', () => {
  it('is refused with a message naming the earlier send; --again skips who received it unless --include-previous', async () => {
    const { listId, issueId } = await seedSend(stack, 'once', 3);
    const first = await startSend(stack.services, issueId, 'once');
    await waitForSend(stack.services, first.send.id, { bar: false });
    expect(stack.smtp.messages).toHaveLength(3);

    const refused = await startSend(stack.services, issueId, 'once').catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'ALREADY_SENT' });
    expect((refused as Error).message).toContain(`send ${first.send.id} (finished`);
    expect((refused as Error).message).toContain('--again');
    const { rows } = await stack.services.pool.query('SELECT count(*)::int AS n FROM sends WHERE issue_id = $1', [issueId]);
    expect(rows[0].n).toBe(1);

    // Two newcomers: --again reaches only them.
    await upsertSubscribers(stack.services.pool, listId, [{ email: 'late1@example.com', name: '', attributes: {} }, { email: 'late2@example.com', name: '', attributes: {} }], 'confirmed');
    const before = stack.smtp.messages.length;
    const again = await startSend(stack.services, issueId, 'once', { again: true });
    expect(again.repeats.map((s) => s.id)).toEqual([first.send.id]);
    const outcome = await waitForSend(stack.services, again.send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 2, sent: 2 });
    expect(recipients(before)).toEqual(['late1@example.com', 'late2@example.com']);

    // --include-previous: everyone, once more.
    const before2 = stack.smtp.messages.length;
    const everyone = await startSend(stack.services, issueId, 'once', { again: true, includePrevious: true });
    expect((await waitForSend(stack.services, everyone.send.id, { bar: false })).counts).toMatchObject({ total: 5, sent: 5 });
    expect(recipients(before2)).toHaveLength(5);
  });

  it('counts a scheduled send, and a cancelled send that sent nothing does not count', async () => {
    const { issueId } = await seedSend(stack, 'later', 2);
    const scheduled = await startSend(stack.services, issueId, 'later', { at: new Date(Date.now() + 3_600_000) });
    const refused = await startSend(stack.services, issueId, 'later').catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'ALREADY_SENT' });
    expect((refused as Error).message).toContain(`send ${scheduled.send.id} (scheduled for`);

    const { cancelSend } = await import('../src/send/control');
    await cancelSend(stack.services, scheduled.send.id);
    const fresh = await startSend(stack.services, issueId, 'later');
    expect(fresh.repeats).toEqual([]);
    await waitForSend(stack.services, fresh.send.id, { bar: false });
  });

  it('two sends started at the same moment: exactly one is created', async () => {
    const { issueId } = await seedSend(stack, 'race', 1);
    const results = await Promise.allSettled([startSend(stack.services, issueId, 'race'), startSend(stack.services, issueId, 'race')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['ALREADY_SENT']);
  });
});

describe('POST /api/sends', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const { loadConfig } = await import('../src/config');
    const { createServices } = await import('../src/app/services');
    const { pino } = await import('pino');
    const services = createServices(loadConfig({ ...stack.env, ADMIN_TOKEN: 'admin-token-0123456789' }), pino({ level: 'silent' }));
    server = createApp(services).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('close', () => void services.close());
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (body: unknown) =>
    fetch(`${base}/api/sends`, { method: 'POST', headers: { authorization: 'Bearer admin-token-0123456789', 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers 409 ALREADY_SENT naming the earlier send, and "again": true sends anyway', async () => {
    const { issueId } = await seedSend(stack, 'api-once', 2);
    const first = await post({ issue: issueId, list: 'api-once' });
    expect(first.status).toBe(201);
    const firstId = ((await first.json()) as { id: number }).id;
    const second = await post({ issue: issueId, list: 'api-once' });
    expect(second.status).toBe(409);
    const body = (await second.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ALREADY_SENT');
    expect(body.error.message).toContain(`send ${firstId} `);
    const again = await post({ issue: issueId, list: 'api-once', again: true, includePrevious: true });
    expect(again.status).toBe(201);
  });
});
