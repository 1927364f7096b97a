import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { startSend } from '../src/send/control';
import { exited, isolatedEnv, seedSend, startStack, waitFor, workerProcess, type TestStack } from './helpers';

describe('worker processes', () => {
  let stack: TestStack | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    children.length = 0;
    await stack?.close();
    stack = undefined;
  });

  it('shares one send between two worker processes with no double sending (prefix in braces)', async () => {
    stack = await startStack({ env: { QUEUE_PREFIX: `{${isolatedEnv().QUEUE_PREFIX}}` } });
    const { issueId } = await seedSend(stack, 'shared', 2000);
    children.push(workerProcess(stack, { WORKER_CONCURRENCY: '20' }), workerProcess(stack, { WORKER_CONCURRENCY: '20' }));
    const { send } = await startSend(stack.services, issueId, 'shared');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 2000, sent: 2000, failed: 0 });
    const addresses = stack.smtp.messages.map((m) => m.to[0]);
    expect(addresses).toHaveLength(2000);
    expect(new Set(addresses).size).toBe(2000);
    // Every key of the queues sits in the one cluster slot named by the braces.
    const keys = await stack.services.redis.keys(`*${stack.config.queuePrefix.slice(1, -1)}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.startsWith(stack.config.queuePrefix + ':')).toBe(true);
  }, 240_000);

  it('survives a SIGKILLed worker: another finishes the send, with duplicates bounded by what was in flight', async () => {
    const concurrency = 20;
    stack = await startStack({ smtp: { latencyMs: 15 }, env: { DELIVERY_LOCK_SECONDS: '3', RECONCILE_INTERVAL_SECONDS: '1' } });
    const { issueId } = await seedSend(stack, 'crash', 2000);
    const first = workerProcess(stack, { WORKER_CONCURRENCY: String(concurrency) });
    children.push(first);
    const { send } = await startSend(stack.services, issueId, 'crash');
    await waitFor(async () => stack!.smtp.messages.length >= 400 || undefined, 60_000);
    first.kill('SIGKILL');
    await exited(first);
    const atKill = stack.smtp.messages.length;
    expect(atKill).toBeLessThan(2000);
    const { rows } = await stack.services.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM deliveries WHERE send_id = $1 AND status = 'sending'", [send.id]);
    const leftSending = rows[0].n;

    const second = workerProcess(stack, { WORKER_CONCURRENCY: String(concurrency) });
    children.push(second);
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 2000, sent: 2000, failed: 0, sending: 0 });
    const addresses = stack.smtp.messages.map((m) => m.to[0]);
    expect(new Set(addresses).size).toBe(2000);
    // The bound: a delivery is sent twice only if the killed worker had handed it to SMTP but not yet
    // recorded it; it had at most `concurrency` jobs in flight.
    const duplicates = addresses.length - 2000;
    expect(duplicates).toBeLessThanOrEqual(concurrency);
    expect(duplicates).toBeLessThanOrEqual(leftSending);
    // A delivery that was duplicated carries the same Message-ID both times: the duplicate is traceable.
    const ids = stack.smtp.messages.map((m) => /^Message-ID: (.+)$/m.exec(m.raw.toString('latin1'))![1]);
    expect(new Set(ids).size).toBe(2000);
  }, 240_000);

  it('stops gracefully on SIGTERM: jobs in flight finish and are recorded', async () => {
    stack = await startStack({ smtp: { latencyMs: 50 } });
    const { issueId } = await seedSend(stack, 'graceful', 500);
    const worker = workerProcess(stack, { WORKER_CONCURRENCY: '10' });
    children.push(worker);
    const { send } = await startSend(stack.services, issueId, 'graceful');
    await waitFor(async () => stack!.smtp.messages.length >= 50 || undefined, 60_000);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
    const { rows } = await stack.services.pool.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM deliveries WHERE send_id = $1 GROUP BY status',
      [send.id],
    );
    const states = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    expect(states.sending ?? 0).toBe(0);
    expect(states.sent).toBe(stack.smtp.messages.length);
  });

  it('refuses to start against a Redis that may evict keys', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'], { stdio: 'ignore' });
    children.push(redis);
    try {
      stack = await startStack();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const worker = workerProcess(stack, { REDIS_URL: `redis://127.0.0.1:${port}` });
      children.push(worker);
      expect(await exited(worker)).not.toBe(0);
      expect(worker.output()).toContain("Redis maxmemory-policy is 'allkeys-lru': set it to 'noeviction'");
    } finally {
      redis.kill('SIGKILL');
    }
  });
});
