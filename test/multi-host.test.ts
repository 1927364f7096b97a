import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { startSend } from '../src/send/control';
import { exited, seedSend, sendStatus, startStack, waitFor, workerProcess, type TestStack } from './helpers';
import { canUseNetns, createHost, Forwarder, type Host } from './netns';

const CONCURRENCY = 10;
const SEND_RATE = 150;
const FIRST = 1500;
const SECOND = 600;

/**
 * Two worker "hosts", each a network namespace with its own veth link, reaching PostgreSQL, Redis and the
 * SMTP server only through that link (forwarders listening on the host-side address). Needs root.
 */
describe.skipIf(!(await canUseNetns()))('workers on two hosts (network namespaces)', () => {
  const hosts: Host[] = [];
  let stack: TestStack | undefined;
  const forwarders: Forwarder[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    const base = 200 + (process.pid % 25) * 2;
    hosts.push(await createHost('a', base), await createHost('b', base + 1));
  }, 60_000);
  afterEach(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await exited(child);
      }
    }
    children.length = 0;
    for (const host of hosts) await host.restore().catch(() => {});
    await Promise.all(forwarders.splice(0).map((f) => f.close()));
    await stack?.close();
    stack = undefined;
  }, 120_000);
  afterAll(async () => {
    for (const host of hosts) await host.remove();
  }, 60_000);

  /** Starts a worker on `host`, its PostgreSQL, Redis and SMTP reached over the host's own link. */
  async function startWorkerOn(host: Host, s: TestStack) {
    const db = new URL(s.env.DATABASE_URL);
    const pg = new Forwarder(host.hostAddress, { host: '127.0.0.1', port: Number(db.port || 5432) });
    const redis = new Forwarder(host.hostAddress, { host: '127.0.0.1', port: 6379 });
    const smtp = new Forwarder(host.hostAddress, { host: '127.0.0.1', port: s.smtp.port });
    forwarders.push(pg, redis, smtp);
    await Promise.all([pg.listen(), redis.listen(), smtp.listen()]);
    db.host = `${host.hostAddress}:${pg.port}`;
    const child = workerProcess(
      s,
      {
        DATABASE_URL: db.toString(),
        REDIS_URL: `redis://${host.hostAddress}:${redis.port}`,
        SMTP_URL: `smtp://${host.hostAddress}:${smtp.port}`,
        WORKER_CONCURRENCY: String(CONCURRENCY),
      },
      host.exec,
    );
    children.push(child);
    return { child, pg, redis, smtp };
  }

  /**
   * The shared scenario: a send of FIRST starts on both hosts; once it is past its fan-out and under way,
   * `trouble` strikes host A; host B finishes the send. Then `recover` brings A back, a second send shows A
   * working again, A stops gracefully, and nothing was sent twice beyond A's messages in flight.
   */
  async function survives(trouble: (a: { child: ChildProcess; host: Host }) => Promise<void>, recover: (a: { child: ChildProcess; host: Host }) => Promise<void>) {
    stack = await startStack({
      smtp: { latencyMs: 10 },
      env: { DELIVERY_LOCK_SECONDS: '5', RECONCILE_INTERVAL_SECONDS: '1', SEND_RATE: String(SEND_RATE) },
    });
    const first = await seedSend(stack, 'first', FIRST);
    const a = await startWorkerOn(hosts[0], stack);
    const b = await startWorkerOn(hosts[1], stack);
    const stamps: number[] = [];
    stack.smtp.onMessage(() => stamps.push(Date.now()));
    const { send } = await startSend(stack.services, first.issueId, 'first');
    // Both hosts take part, and the fan-out is over (a host cut off inside a transaction would hold its rows).
    await waitFor(async () => (a.smtp.bytesIn > 0 && b.smtp.bytesIn > 0 && stack!.smtp.messages.length >= 300 && (await sendStatus(stack!, send.id)).status === 'sending') || undefined, 120_000);

    await trouble({ child: a.child, host: hosts[0] });
    const atTrouble = stack.smtp.messages.length;
    expect(atTrouble).toBeLessThan(FIRST);
    // Host B finishes the send on its own: A's claims expire (DELIVERY_LOCK_SECONDS) and its BullMQ jobs
    // are found stalled and handed over.
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: FIRST, sent: FIRST, failed: 0, sending: 0, queued: 0 });
    const received = () => stack!.smtp.messages.map((m) => m.to[0]).filter((to) => /^n\d+@example\.com$/.test(to));
    expect(new Set(received()).size).toBe(FIRST);
    // SEND_RATE held across both hosts: no message came ahead of a SEND_RATE schedule by more than two
    // windows of the limiter.
    const early = stamps.filter((t, n) => t - stamps[0] < ((n + 1 - 2 * SEND_RATE) / SEND_RATE) * 1000);
    expect(early).toEqual([]);

    // A comes back and works again. B stops first (gracefully: it has nothing left in flight), so the second
    // send can only go out through A: with B running, a busy machine sometimes let B take every job, and
    // "A sent something" failed although A was fine.
    b.child.kill('SIGTERM');
    expect(await exited(b.child)).toBe(0);
    const redisBefore = a.redis.bytesIn;
    await recover({ child: a.child, host: hosts[0] });
    await waitFor(async () => a.redis.bytesIn > redisBefore || undefined, 120_000);
    const { createList } = await import('../src/db/lists');
    const { upsertSubscribers } = await import('../src/db/subscribers');
    const second = (await createList(stack.services.pool, { slug: 'second', name: 'Second' })).id;
    await upsertSubscribers(stack.services.pool, second, Array.from({ length: SECOND }, (_, i) => ({ email: `second${i}@example.org`, name: '', attributes: {} })), 'confirmed');
    const smtpBefore = a.smtp.bytesIn;
    const { send: again } = await startSend(stack.services, first.issueId, 'second');
    const outcome2 = await waitForSend(stack.services, again.id, { bar: false });
    expect(outcome2.counts).toMatchObject({ total: SECOND, sent: SECOND, failed: 0 });
    expect(a.smtp.bytesIn).toBeGreaterThan(smtpBefore);
    // A stops gracefully: whatever it still had in flight is sent and recorded before it exits.
    a.child.kill('SIGTERM');
    expect(await exited(a.child)).toBe(0);

    // The bound: a delivery goes out twice only if A had it in flight (claimed, at most CONCURRENCY jobs)
    // when the trouble struck. The counts in PostgreSQL stayed right throughout.
    const firstDuplicates = received().length - FIRST;
    console.info(`host A: ${firstDuplicates} duplicates of the first send (bound ${CONCURRENCY}), trouble after ${atTrouble} sent`);
    expect(firstDuplicates).toBeLessThanOrEqual(CONCURRENCY);
    const secondAddresses = stack.smtp.messages.map((m) => m.to[0]).filter((to) => to.startsWith('second'));
    expect(secondAddresses).toHaveLength(SECOND);
    expect(new Set(secondAddresses).size).toBe(SECOND);
    const { rows } = await stack.services.pool.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM deliveries GROUP BY status');
    expect(Object.fromEntries(rows.map((r) => [r.status, r.n]))).toEqual({ sent: FIRST + SECOND });
    expect((await stack.services.pool.query('SELECT total FROM sends WHERE id = $1', [send.id])).rows[0].total).toBe(FIRST);
  }

  it('a host whose link is cut mid-send: the other finishes; back online, it sends nothing twice beyond its in-flight messages', async () => {
    await survives(
      ({ host }) => host.cut(),
      ({ host }) => host.restore(),
    );
  }, 400_000);

  it('a frozen host (SIGSTOP) mid-send: the other finishes; thawed, it sends nothing twice beyond its in-flight messages', async () => {
    await survives(
      async ({ child }) => {
        child.kill('SIGSTOP');
      },
      async ({ child }) => {
        child.kill('SIGCONT');
      },
    );
  }, 400_000);
});
