import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpMailer, type RouteBreaker } from '../src/mail/mailer';
import { readRouteHealth, RouteHealthPublisher } from '../src/queue/route-health';
import { createOperator, login } from './app-operator-helpers';
import { startStack, waitFor, type TestStack } from './helpers';

/** A port nothing listens on (connections are refused at once). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('SMTP routes\' circuit breakers on the dashboard', () => {
  let stack: TestStack;
  let viewer: { cookie: string };
  beforeAll(async () => {
    stack = await startStack({ http: true });
    const account = await createOperator(stack.services.pool, 'vi@example.com', 'viewer');
    viewer = await login(stack.baseUrl, account.email, account.password);
  }, 60_000);
  afterAll(async () => stack?.close());

  const breakers = async () => {
    const res = await fetch(`${stack.baseUrl}/api/smtp/breakers`, { headers: { cookie: viewer.cookie } });
    expect(res.status).toBe(200);
    return (await res.json()) as Awaited<ReturnType<typeof readRouteHealth>>;
  };

  it('shows a route that refuses connections as open (with the error) and the live one as closed, as the worker saw them', async () => {
    const dead = `127.0.0.1:${await deadPort()}`;
    const mailer = createSmtpMailer({ url: `${stack.smtp.url},smtp://${dead}`, poolSize: 1, failureThreshold: 2, cooldownMs: 60_000 });
    const publisher = new RouteHealthPublisher(stack.services.redis, stack.config.queuePrefix, mailer, (err) => { throw err; });
    try {
      expect((await breakers()).workers).toBe(0);
      await publisher.start();
      const before = await breakers();
      expect(before.workers).toBe(1);
      expect(before.routes.map((r) => r.state)).toEqual(['closed', 'closed']);

      // Round robin: every other message goes to the dead route until its breaker opens.
      const outcomes: string[] = [];
      for (let i = 0; i < 6; i++) {
        outcomes.push(await mailer.send({ from: 'news@lifewithdata.test', to: `r${i}@example.com` }, Buffer.from(`Subject: ${i}\r\n\r\nhello\r\n`)).then((r) => r.route, () => 'failed'));
      }
      expect(outcomes.filter((o) => o === 'failed')).toHaveLength(2);
      expect(mailer.breakers().find((b) => b.name === dead)!.state).toBe('open');

      // The publisher writes the change within a second; the dashboard reads it from Redis.
      const after = await waitFor(async () => {
        const h = await breakers();
        return h.routes.find((r) => r.name === dead)?.state === 'open' && h;
      }, 5_000);
      const down = after.routes.find((r) => r.name === dead)!;
      expect(down).toMatchObject({ state: 'open', failures: 2, workers: { open: 1, closed: 0, halfOpen: 0 } });
      expect(down.lastError).toMatch(/ECONNREFUSED/);
      expect(Date.parse(down.reopensAt!)).toBeGreaterThan(Date.now() + 50_000);
      expect(after.routes.find((r) => r.name !== dead)).toMatchObject({ state: 'closed', failures: 0, lastError: null });
    } finally {
      await publisher.stop();
      await mailer.close();
    }
    // A worker that stops takes its report with it.
    expect((await breakers()).workers).toBe(0);
  }, 30_000);

  it('combines the reports of several workers, and drops the report of one that vanished without a word', async () => {
    const now = Date.now();
    const fake = (b: Partial<RouteBreaker>) => ({ breakers: (): RouteBreaker[] => [{ name: 'smtp.example:587', state: 'closed', failures: 0, openUntil: null, lastError: null, lastErrorAt: null, ...b }] });
    const a = new RouteHealthPublisher(stack.services.redis, stack.config.queuePrefix, fake({}), () => undefined);
    const b = new RouteHealthPublisher(stack.services.redis, stack.config.queuePrefix, fake({ state: 'half-open', failures: 5, lastError: '421 4.3.2 Service shutting down', lastErrorAt: now - 40_000 }), () => undefined);
    await a.start();
    await b.start();
    // A process killed with SIGKILL a minute ago: its field stays in Redis until a reader drops it.
    await stack.services.redis.hset(`${stack.config.queuePrefix}:smtp-breakers`, 'gone:1:abc', `${now - 60_000} {"routes":[{"name":"smtp.example:587","state":"open","failures":9,"reopensInMs":0,"lastError":"x","lastErrorAgoMs":0}]}`);
    try {
      const h = await breakers();
      expect(h.workers).toBe(2);
      expect(h.routes).toHaveLength(1);
      expect(h.routes[0]).toMatchObject({ state: 'half-open', failures: 5, workers: { closed: 1, halfOpen: 1, open: 0 }, lastError: '421 4.3.2 Service shutting down' });
      expect(Math.abs(Date.parse(h.routes[0].lastErrorAt!) - (now - 40_000))).toBeLessThan(2_000);
      expect(await stack.services.redis.hexists(`${stack.config.queuePrefix}:smtp-breakers`, 'gone:1:abc')).toBe(0);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('refuses without a session', async () => {
    expect((await fetch(`${stack.baseUrl}/api/smtp/breakers`)).status).toBe(401);
  });
});
