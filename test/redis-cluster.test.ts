import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { waitForSend } from '../src/cli/progress';
import { loadConfig } from '../src/config';
import { DELIVER_QUEUE } from '../src/queue/queues';
import { clusterPrefix, parseClusterNodes } from '../src/queue/redis';
import { startSend } from '../src/send/control';
import { SUBSCRIBE_PER_IP_PER_MINUTE } from '../src/http/routes/subscribe';
import { isolatedEnv, seedSend, startStack, waitFor, type TestStack } from './helpers';
import { startRedisCluster, type RedisClusterHandle } from './redis-cluster';

const LIST_SIZE = 5_000;
const CONCURRENCY = 20;

describe('REDIS_CLUSTER_NODES', () => {
  it('reads host:port lists and the URL form, and forces the prefix into one hash tag', () => {
    expect(parseClusterNodes('10.0.0.1:7000, 10.0.0.2:7001')).toEqual({ nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }], username: undefined, password: undefined, tls: false });
    expect(parseClusterNodes('rediss://app:s%40cret@r1.example:6380,r2.example:6380/')).toEqual({
      nodes: [{ host: 'r1.example', port: 6380 }, { host: 'r2.example', port: 6380 }],
      username: 'app',
      password: 's@cret',
      tls: true,
    });
    expect(parseClusterNodes('[::1]:7000').nodes).toEqual([{ host: '::1', port: 7000 }]);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1' })).toThrow(/REDIS_CLUSTER_NODES.*'10\.0\.0\.1' is not host:port/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: ' , ' })).toThrow(/REDIS_CLUSTER_NODES.*names no node/);
    expect(clusterPrefix('tidings')).toBe('{tidings}');
    expect(clusterPrefix('{tidings}')).toBe('{tidings}');
    expect(clusterPrefix('eu-{tidings}')).toBe('eu-{tidings}');
    expect(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000' }).queuePrefix).toBe('{tidings}');
    // Without a cluster the prefix stays as configured.
    expect(loadConfig({}).queuePrefix).toBe('tidings');
  });
});

describe('on a real Redis Cluster (3 masters, 1 replica each)', () => {
  let cluster: RedisClusterHandle;
  let stack: TestStack | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  }, 180_000);
  afterAll(async () => {
    await cluster?.close();
  }, 60_000);
  // Closing drains the workers and drops the database; on a loaded machine after a failover that took
  // over a minute.
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  }, 180_000);

  const clusterStack = (env: Record<string, string> = {}) =>
    startStack({
      workers: true,
      concurrency: CONCURRENCY,
      // A plain prefix: the config must wrap it in a hash tag itself.
      env: { REDIS_CLUSTER_NODES: cluster.nodesEnv, QUEUE_PREFIX: isolatedEnv().QUEUE_PREFIX, RECONCILE_INTERVAL_SECONDS: '1', DELIVERY_LOCK_SECONDS: '5', ...env },
    });

  it(`sends ${LIST_SIZE} deliveries, each once, with every key of the queue in one slot`, async () => {
    stack = await clusterStack();
    expect(stack.services.redis).toBeInstanceOf(Cluster);
    expect(stack.config.queuePrefix).toMatch(/^\{tidings-test-[^}]+\}$/);
    const { issueId } = await seedSend(stack, 'cluster', LIST_SIZE);
    const { send } = await startSend(stack.services, issueId, 'cluster');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: LIST_SIZE, sent: LIST_SIZE, failed: 0, sending: 0, queued: 0 });
    const addresses = stack.smtp.messages.map((m) => m.to[0]);
    expect(addresses).toHaveLength(LIST_SIZE);
    expect(new Set(addresses).size).toBe(LIST_SIZE);
    // All the queue's keys hash to the slot of the prefix, on whichever master holds it.
    const redis = stack.services.redis as Cluster;
    const slot = Number(await redis.cluster('KEYSLOT', stack.config.queuePrefix));
    const owner = await cluster.masterFor(stack.config.queuePrefix);
    const node = redis.nodes('master').find((n) => n.options.port === owner)!;
    const keys = await node.keys(`${stack.config.queuePrefix}:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(Number(await redis.cluster('KEYSLOT', key))).toBe(slot);
  }, 300_000);

  it('keeps the subscribe limits and the health check on the cluster', async () => {
    stack = await startStack({ http: true, env: { REDIS_CLUSTER_NODES: cluster.nodesEnv } });
    const { createList } = await import('../src/db/lists');
    await createList(stack.services.pool, { slug: 'limits', name: 'Limits' });
    const statuses: number[] = [];
    for (let i = 0; i < SUBSCRIBE_PER_IP_PER_MINUTE + 5; i++) {
      const res = await fetch(`${stack.baseUrl}/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: `email=reader${i}%40example.com&list=limits`,
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, SUBSCRIBE_PER_IP_PER_MINUTE).every((s) => s === 202)).toBe(true);
    expect(statuses.slice(SUBSCRIBE_PER_IP_PER_MINUTE).every((s) => s === 429)).toBe(true);
    const health = await fetch(`${stack.baseUrl}/healthz`);
    expect(await health.json()).toMatchObject({ redis: 'ok' });
  }, 120_000);

  it('finishes a send after the master holding the queue is killed mid-send: nothing lost, duplicates ≤ in flight', async () => {
    // SEND_RATE keeps the send long enough to kill the master in the middle of it, on any machine.
    stack = await clusterStack({ SEND_RATE: '400' });
    const { issueId } = await seedSend(stack, 'failover', LIST_SIZE);
    const queueKey = `${stack.config.queuePrefix}:${DELIVER_QUEUE}:wait`;
    const { send } = await startSend(stack.services, issueId, 'failover');
    await waitFor(async () => stack!.smtp.messages.length >= 1_000 || undefined, 120_000);
    const master = await cluster.masterFor(queueKey);
    await cluster.kill(master);
    const sentAtKill = stack.smtp.messages.length;
    expect(sentAtKill).toBeLessThan(LIST_SIZE);
    const promoted = await cluster.waitForFailover(queueKey, master);
    expect(promoted).not.toBe(master);

    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: LIST_SIZE, sent: LIST_SIZE, failed: 0, sending: 0, queued: 0, retrying: 0 });
    const addresses = stack.smtp.messages.map((m) => m.to[0]);
    // Nothing lost: every subscriber got the issue.
    expect(new Set(addresses).size).toBe(LIST_SIZE);
    // The bound: a delivery goes out twice only if it was handed to SMTP and its claim lock then expired
    // before its result reached PostgreSQL; at most the CONCURRENCY jobs in flight when the master died.
    const duplicates = addresses.length - LIST_SIZE;
    console.info(`failover: master ${master} killed after ${sentAtKill} sent, replica ${promoted} took over; ${duplicates} duplicates (bound ${CONCURRENCY})`);
    expect(duplicates).toBeLessThanOrEqual(CONCURRENCY);
  }, 300_000);
});
