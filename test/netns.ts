import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ip = (...args: string[]) => run('ip', args, { timeout: 20_000 });

/** Whether this process may create network namespaces (root with the `ip` tool). */
export async function canUseNetns(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await ip('netns', 'list');
    return true;
  } catch {
    return false;
  }
}

/**
 * A worker "host": a network namespace joined to this machine by its own veth pair, host side
 * `hostAddress`, namespace side `address`. It reaches nothing but what listens on `hostAddress`: the
 * services are offered there through TCP forwarders, so cutting the link cuts the host off all of them.
 */
export interface Host {
  name: string;
  /** The veth end on this machine (what `ip link set … down` cuts). */
  hostLink: string;
  hostAddress: string;
  address: string;
  /** Runs a command inside the namespace. */
  exec: string[];
  cut(): Promise<void>;
  restore(): Promise<void>;
  remove(): Promise<void>;
}

/** Creates namespace + veth; `index` picks the /30 (10.231.<index>.0). Removed by remove(), even half-made. */
export async function createHost(label: string, index: number): Promise<Host> {
  const id = randomBytes(2).toString('hex');
  const name = `td-${label}-${id}`;
  const hostLink = `vh${label}${id}`.slice(0, 15);
  const nsLink = `vn${label}${id}`.slice(0, 15);
  const hostAddress = `10.231.${index}.1`;
  const address = `10.231.${index}.2`;
  const remove = async () => {
    await ip('netns', 'del', name).catch(() => {});
    await ip('link', 'del', hostLink).catch(() => {});
  };
  try {
    await ip('netns', 'add', name);
    await ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', nsLink);
    await ip('link', 'set', nsLink, 'netns', name);
    await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostLink);
    await ip('link', 'set', hostLink, 'up');
    await ip('netns', 'exec', name, 'ip', 'addr', 'add', `${address}/30`, 'dev', nsLink);
    await ip('netns', 'exec', name, 'ip', 'link', 'set', nsLink, 'up');
    await ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    name,
    hostLink,
    hostAddress,
    address,
    exec: ['ip', 'netns', 'exec', name],
    cut: () => ip('link', 'set', hostLink, 'down').then(() => {}),
    restore: () => ip('link', 'set', hostLink, 'up').then(() => {}),
    remove,
  };
}

/**
 * A plain TCP forwarder: listens on `host` (a veth address) and joins each connection to `target` on
 * loopback. Counts the bytes clients send, so a test can tell that a host used the service.
 */
export class Forwarder {
  bytesIn = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly host: string,
    private readonly target: { host: string; port: number },
  ) {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk: Buffer) => (this.bytesIn += chunk.length));
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.host, () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
