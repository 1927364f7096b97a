import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

/** A free TCP port on loopback (asked of the kernel, then released). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface ClusterNode {
  port: number;
  process: ChildProcess;
  alive: boolean;
}

export interface RedisClusterHandle {
  /** REDIS_CLUSTER_NODES for the cluster (every node). */
  nodesEnv: string;
  nodes: readonly ClusterNode[];
  /** The port of the master serving the slot of `key` now. */
  masterFor(key: string): Promise<number>;
  /** SIGKILLs the node on `port`. */
  kill(port: number): Promise<void>;
  /** Waits until the slot of `key` is served by a live master other than `oldPort` and the cluster is ok. */
  waitForFailover(key: string, oldPort: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`redis cluster: timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function ask<T>(port: number, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/**
 * A real Redis Cluster on free loopback ports, in a temporary directory: `masters` masters with one replica
 * each, made by `redis-cli --cluster create … --cluster-replicas 1`. A short node timeout makes a killed
 * master's replica take over within seconds. `close` kills every node and removes the directory.
 */
export async function startRedisCluster(options: { masters?: number; nodeTimeoutMs?: number } = {}): Promise<RedisClusterHandle> {
  const masterCount = options.masters ?? 3;
  const nodeTimeout = options.nodeTimeoutMs ?? 3000;
  const dir = await mkdtemp(path.join(tmpdir(), 'tidings-redis-cluster-'));
  const nodes: ClusterNode[] = [];
  const close = async () => {
    for (const node of nodes) if (node.alive) node.process.kill('SIGKILL');
    await Promise.all(nodes.map((node) => (node.process.exitCode !== null || node.process.signalCode ? undefined : new Promise((r) => node.process.once('exit', r)))));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masterCount * 2; i++) {
      const port = await freePort();
      const busPort = await freePort();
      const child = spawn(
        'redis-server',
        [
          '--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(nodeTimeout),
          // A replica may always take over, however long it was cut off (the test kills masters on purpose).
          '--cluster-replica-validity-factor', '0', '--cluster-allow-replica-migration', 'no',
          '--dir', dir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning',
        ],
        { stdio: 'ignore' },
      );
      const node: ClusterNode = { port, process: child, alive: true };
      child.once('exit', () => (node.alive = false));
      nodes.push(node);
    }
    for (const node of nodes) await until(`node ${node.port} to answer`, () => ask(node.port, (r) => r.ping()), 20_000);
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 60_000 });
    // Every node sees the whole cluster healthy and every replica has synced from its master.
    for (const node of nodes) {
      await until(
        `node ${node.port} to see the cluster ok`,
        () => ask(node.port, async (r) => {
          const info = await r.cluster('INFO');
          return /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${nodes.length}\\b`).test(info) ? true : undefined;
        }),
        60_000,
      );
    }
    for (const node of nodes) {
      await until(`replica ${node.port} to sync`, () => ask(node.port, async (r) => {
        const info = await r.info('replication');
        return /role:master/.test(info) || /master_link_status:up/.test(info) ? true : undefined;
      }), 60_000);
    }
  } catch (err) {
    await close();
    throw err;
  }

  const live = () => nodes.filter((n) => n.alive);
  const masterFor = async (key: string) => {
    for (const node of live()) {
      try {
        return await ask(node.port, async (r) => {
          const slot = Number(await r.cluster('KEYSLOT', key));
          const ranges = (await r.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
          const range = ranges.find(([from, to]) => slot >= from && slot <= to);
          if (!range) throw new Error(`slot ${slot} is not served`);
          return range[2][1];
        });
      } catch {
        // ask the next node
      }
    }
    throw new Error('no live node answers');
  };

  return {
    nodesEnv: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    nodes,
    masterFor,
    async kill(port) {
      const node = nodes.find((n) => n.port === port)!;
      const exited = new Promise((resolve) => node.process.once('exit', resolve));
      node.process.kill('SIGKILL');
      await exited;
    },
    waitForFailover: (key, oldPort, timeoutMs = 60_000) =>
      until(
        'a replica to take over',
        async () => {
          const port = await masterFor(key);
          if (port === oldPort || !nodes.find((n) => n.port === port)?.alive) return undefined;
          const ok = await ask(port, (r) => r.cluster('INFO'));
          return /cluster_state:ok/.test(ok) ? port : undefined;
        },
        timeoutMs,
      ),
    close,
  };
}
