import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { unsubscribe } from '../src/db/subscribers';
import { cancelSend, pauseSend, resumeSend, startSend } from '../src/send/control';
import { deliveryStates, removeQueueKeys, seedSend, sendStatus, startStack, waitFor, type TestStack } from './helpers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const received = (stack: TestStack) => stack.smtp.messages.map((m) => m.to[0]);
const duplicates = (addresses: string[]) => addresses.length - new Set(addresses).size;

/** A port with nothing listening: a dead SMTP server. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('controlling a send', () => {
  let stack: TestStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('pauses within seconds and resumes without skipping or repeating anyone', async () => {
    stack = await startStack({ workers: true, concurrency: 5, smtp: { latencyMs: 20 } });
    const { issueId } = await seedSend(stack, 'pausable', 300);
    const { send } = await startSend(stack.services, issueId, 'pausable');
    await waitFor(async () => stack!.smtp.messages.length >= 30 || undefined);
    await pauseSend(stack.services, send.id);
    await sleep(500); // messages already handed to SMTP finish
    const atPause = stack.smtp.messages.length;
    await sleep(1500);
    expect(stack.smtp.messages.length).toBe(atPause);
    expect((await sendStatus(stack, send.id)).status).toBe('paused');
    expect(atPause).toBeLessThan(300);

    const { requeued } = await resumeSend(stack.services, send.id);
    expect(requeued).toBe(300 - atPause);
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 300, sent: 300 });
    expect(received(stack)).toHaveLength(300);
    expect(duplicates(received(stack))).toBe(0);
  });

  it('cancels the rest, and skips a subscriber who unsubscribes mid-send', async () => {
    stack = await startStack({ workers: true, concurrency: 5, smtp: { latencyMs: 20 } });
    const { listId, issueId } = await seedSend(stack, 'cancellable', 300);
    const leaver = await stack.services.pool.query<{ id: number }>("SELECT id FROM subscribers WHERE email = 'n290@example.com'");
    const { send } = await startSend(stack.services, issueId, 'cancellable');
    await waitFor(async () => stack!.smtp.messages.length >= 20 || undefined);
    await unsubscribe(stack.services.pool, listId, leaver.rows[0].id);
    await waitFor(async () => stack!.smtp.messages.length >= 100 || undefined);
    const { cancelledDeliveries } = await cancelSend(stack.services, send.id);
    await sleep(1500);
    const states = await deliveryStates(stack, send.id);
    expect(states.cancelled).toBe(cancelledDeliveries);
    expect(states.cancelled).toBeGreaterThan(0);
    expect(states.queued ?? 0).toBe(0);
    expect((states.sent ?? 0) + states.cancelled + (states.suppressed ?? 0)).toBe(300);
    expect(received(stack)).toHaveLength(states.sent);
    expect(received(stack)).not.toContain('n290@example.com');
    expect((await sendStatus(stack, send.id)).status).toBe('cancelled');

    // And a whole send to the list now skips the leaver from the start.
    const second = await startSend(stack.services, issueId, 'cancellable', { again: true, includePrevious: true });
    const outcome = await waitForSend(stack.services, second.send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 299, sent: 299 });
  });

  it('marks a subscriber who left after the fan-out as suppressed, not sent', async () => {
    stack = await startStack({ workers: true, concurrency: 2, smtp: { latencyMs: 30 } });
    const { listId, issueId } = await seedSend(stack, 'leavers', 60);
    const leaver = await stack.services.pool.query<{ id: number }>("SELECT id FROM subscribers WHERE email = 'n60@example.com'");
    const { send } = await startSend(stack.services, issueId, 'leavers');
    await waitFor(async () => ((await deliveryStates(stack!, send.id)).queued ?? 0) > 0 && stack!.smtp.messages.length > 0 || undefined);
    await unsubscribe(stack.services.pool, listId, leaver.rows[0].id);
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 60, sent: 59, suppressed: 1 });
    expect(received(stack)).not.toContain('n60@example.com');
  });

  it('restores the queue from PostgreSQL after Redis lost it (tidings resume, and the reconciler)', async () => {
    stack = await startStack({ workers: true, concurrency: 5, smtp: { latencyMs: 10 }, env: { RECONCILE_INTERVAL_SECONDS: '3600' } });
    const { issueId } = await seedSend(stack, 'wiped', 400);
    const { send } = await startSend(stack.services, issueId, 'wiped');
    await waitFor(async () => stack!.smtp.messages.length >= 50 || undefined);
    // Wipe every key of this test's queues (a FLUSHALL limited to our prefix: other test files share this Redis).
    await removeQueueKeys(stack.config.queuePrefix);
    await sleep(1000);
    const stalled = stack.smtp.messages.length;
    expect(stalled).toBeLessThan(400);
    const { requeued } = await resumeSend(stack.services, send.id);
    expect(requeued).toBeGreaterThan(0);
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 400, sent: 400 });
    expect(new Set(received(stack)).size).toBe(400);
    // In-flight messages at the wipe may have been claimed again only after their lock; none was lost.
    expect(duplicates(received(stack))).toBe(0);
  });

  it('lets the worker\'s reconciler restore a wiped queue by itself', async () => {
    stack = await startStack({ workers: true, concurrency: 5, smtp: { latencyMs: 10 }, env: { RECONCILE_INTERVAL_SECONDS: '1' } });
    const { issueId } = await seedSend(stack, 'selfheal', 300);
    const { send } = await startSend(stack.services, issueId, 'selfheal');
    await waitFor(async () => stack!.smtp.messages.length >= 30 || undefined);
    await removeQueueKeys(stack.config.queuePrefix);
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 300, sent: 300 });
    expect(new Set(received(stack)).size).toBe(300);
  });

  it('starts a scheduled send at its time, and one scheduled in the past at once', async () => {
    stack = await startStack({ workers: true });
    const { issueId } = await seedSend(stack, 'scheduled', 10);
    const at = new Date(Date.now() + 2500);
    const { send } = await startSend(stack.services, issueId, 'scheduled', { at });
    expect(send.status).toBe('scheduled');
    await sleep(1000);
    expect(stack.smtp.messages).toHaveLength(0);
    expect((await sendStatus(stack, send.id)).status).toBe('scheduled');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts.sent).toBe(10);
    const { rows } = await stack.services.pool.query('SELECT started_at FROM sends WHERE id = $1', [send.id]);
    expect(rows[0].started_at.getTime()).toBeGreaterThanOrEqual(at.getTime() - 50);

    const past = await startSend(stack.services, issueId, 'scheduled', { at: new Date(Date.now() - 60_000), again: true, includePrevious: true });
    expect(past.send.status).toBe('queued');
    expect((await waitForSend(stack.services, past.send.id, { bar: false })).counts.sent).toBe(10);
  });

  it('keeps a scheduled send when Redis loses its delayed job', async () => {
    stack = await startStack({ workers: true, env: { RECONCILE_INTERVAL_SECONDS: '1' } });
    const { issueId } = await seedSend(stack, 'resched', 5);
    const { send } = await startSend(stack.services, issueId, 'resched', { at: new Date(Date.now() + 2000) });
    await removeQueueKeys(stack.config.queuePrefix);
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts.sent).toBe(5);
  });

  it('holds SEND_RATE (BullMQ limiter in Redis)', async () => {
    stack = await startStack({ workers: true, env: { SEND_RATE: '40' } });
    const { issueId } = await seedSend(stack, 'rated', 120);
    const started = Date.now();
    const { send } = await startSend(stack.services, issueId, 'rated');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts.sent).toBe(120);
    // 120 messages at 40/s take at least 2 s (the first second's 40 go at once).
    expect(Date.now() - started).toBeGreaterThan(2000);
  });

  it('routes around a dead SMTP server (circuit breaker) without stalling the send', async () => {
    const dead = await deadPort();
    // The few messages that met the dead route before the breaker opened are retried soon, not after a minute.
    stack = await startStack({ workers: true, env: { RETRY_SCHEDULE: '2s' } });
    // Rebuild the workers' mailer with two routes: the dead one first.
    await stack.workers!.close();
    const { startWorkers } = await import('../workers/index');
    const { createSmtpMailer } = await import('../src/mail/mailer');
    const mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${dead}?pool=2,${stack.smtp.url}?pool=3`, poolSize: 5, failureThreshold: 3, cooldownMs: 60_000 });
    stack.workers = await startWorkers(stack.services, mailer, { concurrency: 10 });
    const { issueId } = await seedSend(stack, 'routes', 100);
    const { send } = await startSend(stack.services, issueId, 'routes');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 100, sent: 100, failed: 0 });
    expect(mailer.routes.find((r) => r.name === `127.0.0.1:${dead}`)).toMatchObject({ available: false });
    const { rows } = await stack.services.pool.query("SELECT DISTINCT smtp_route FROM deliveries WHERE send_id = $1 AND status = 'sent'", [send.id]);
    expect(rows).toEqual([{ smtp_route: `127.0.0.1:${stack.smtp.port}` }]);
    // Only the few messages that met the dead route before the breaker opened needed a retry.
    const retried = await stack.services.pool.query('SELECT count(*)::int AS n FROM deliveries WHERE send_id = $1 AND attempts > 1', [send.id]);
    expect(retried.rows[0].n).toBeLessThanOrEqual(10);
  });
});
