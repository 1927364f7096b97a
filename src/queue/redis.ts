import { Cluster, Redis } from 'ioredis';

/** One Redis server or a Redis Cluster: every part of Tidings that talks to Redis takes either. */
export type RedisClient = Redis | Cluster;

/** The seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES): the client learns the rest from them. */
export interface RedisClusterTarget {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

export interface RedisTarget {
  readonly redisUrl: string;
  /** Set: connect to this cluster and ignore redisUrl. */
  readonly redisCluster?: RedisClusterTarget;
}

/**
 * Parses REDIS_CLUSTER_NODES: `host:port,host:port,…`, or the URL form
 * `redis://[user:password@]host:port,host:port,…` (`rediss://` for TLS), where the credentials and the
 * scheme are written once and apply to every node. Throws a plain message naming what is wrong.
 */
export function parseClusterNodes(value: string): RedisClusterTarget {
  let rest = value.trim();
  let tls = false;
  let username: string | undefined;
  let password: string | undefined;
  const scheme = /^(rediss?):\/\//i.exec(rest);
  if (scheme) {
    tls = scheme[1].toLowerCase() === 'rediss';
    rest = rest.slice(scheme[0].length).replace(/\/+$/, '');
    const at = rest.lastIndexOf('@');
    if (at >= 0) {
      const auth = rest.slice(0, at);
      rest = rest.slice(at + 1);
      const colon = auth.indexOf(':');
      username = decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : auth) || undefined;
      password = colon >= 0 ? decodeURIComponent(auth.slice(colon + 1)) : undefined;
    }
  }
  const nodes = rest.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = /^(\[[0-9a-f:]+\]|[^:\s/]+):(\d{1,5})$/i.exec(part);
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65535) throw new Error(`'${part}' is not host:port (for example 10.0.0.5:7000)`);
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  });
  if (nodes.length === 0) throw new Error('names no node: give host:port,host:port,… (any reachable nodes of the cluster)');
  return { nodes, username, password, tls };
}

/**
 * On a cluster, every key of Tidings must sit in one hash slot: BullMQ's Lua scripts read and write many
 * keys of a queue at once (waiting list, active list, job hashes, limiter, events), and Redis Cluster
 * refuses a script whose keys live in different slots (CROSSSLOT). A `{…}` hash tag in the prefix makes
 * Redis hash only the tag, so `{tidings}:deliver:wait` and `{tidings}:fanout:42` share a slot. A prefix
 * that already holds a tag is kept as it is; any other is wrapped in braces.
 */
export function clusterPrefix(prefix: string): string {
  return /\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`;
}

/**
 * A connection as BullMQ wants it: commands wait out a reconnection or a failover instead of failing
 * after a few retries (maxRetriesPerRequest: null), and errors are logged by whoever owns the connection,
 * never thrown as unhandled events. On a cluster, a command that meets a failover (CLUSTERDOWN, a moved
 * slot, a dead master) is retried by ioredis once the replica has taken over.
 */
export function createRedis(target: RedisTarget | string): RedisClient {
  const { redisUrl, redisCluster } = typeof target === 'string' ? { redisUrl: target, redisCluster: undefined } : target;
  if (!redisCluster) {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
    redis.on('error', () => {});
    return redis;
  }
  const cluster = new Cluster(
    redisCluster.nodes.map((n) => ({ host: n.host, port: n.port })),
    {
      redisOptions: {
        maxRetriesPerRequest: null,
        username: redisCluster.username,
        password: redisCluster.password,
        tls: redisCluster.tls ? {} : undefined,
      },
      enableReadyCheck: true,
      // During a failover the old master refuses connections and the new one is not announced yet: keep
      // asking (every 100 ms, then up to every 2 s) rather than giving up.
      clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 300,
      retryDelayOnTryAgain: 200,
      slotsRefreshTimeout: 2_000,
    },
  );
  cluster.on('error', () => {});
  return cluster;
}

/** The master nodes to ask for server settings (one server: itself). */
export function masters(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}
