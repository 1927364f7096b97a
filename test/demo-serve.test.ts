import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../src/db/pool';
import { isolatedEnv, removeQueueKeys, waitFor } from './helpers';

// Issue 11.13: `npm run demo -- --serve` keeps its workers running while the server is up.
const BIN = path.resolve(__dirname, '../bin/tidings.mjs');
const ADMIN_TOKEN = 'demo-serve-admin-token-0123456789';
let child: ChildProcess | undefined;
let outbox: string;
const env = isolatedEnv({ ADMIN_TOKEN, LOG_LEVEL: 'warn' });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await removeQueueKeys(env.QUEUE_PREFIX);
  await dropDatabase(env.DATABASE_URL).catch(() => {});
  if (outbox) await rm(outbox, { recursive: true, force: true });
});

describe('npm run demo -- --serve', () => {
  it('processes a send started through the API after the demo send, and stops cleanly on SIGTERM', async () => {
    outbox = await mkdtemp(path.join(tmpdir(), 'tidings-demo-outbox-'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let stdout = '';
    child = spawn(process.execPath, [BIN, 'demo', '--serve', '--subscribers', '5'], {
      env: { PATH: process.env.PATH!, HOME: tmpdir(), ...env, PORT: String(port), PUBLIC_URL: base, OUTBOX_DIR: outbox },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    await waitFor(async () => stdout.includes('The workers keep running'), 120_000);
    expect(stdout).toMatch(/Send (\d+) finished/);
    const firstSend = Number(/Send (\d+) finished/.exec(stdout)![1]);

    const api = (method: string, route: string, body?: unknown) =>
      fetch(`${base}/api${route}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const started = await api('POST', '/sends', { issue: 'ml-utd-32', list: 'demo', again: true, includePrevious: true });
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: number };
    expect(id).toBeGreaterThan(firstSend);
    const done = await waitFor(async () => {
      const send = (await (await api('GET', `/sends/${id}`)).json()) as { status: string; counts: { sent: number } };
      return send.status === 'finished' && send;
    }, 60_000);
    expect(done.counts.sent).toBe(5);

    const lists = (await (await api('GET', '/lists')).json()) as { lists: Array<{ slug: string; language: string }> };
    expect(lists.lists.find((l) => l.slug === 'demo')?.language).toBe('zh-CN');

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 180_000);
});
