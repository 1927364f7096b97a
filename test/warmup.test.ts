import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { CaptureServer } from '../src/mail/capture-server';
import { createSmtpMailer } from '../src/mail/mailer';
import { WarmupGate } from '../src/queue/warmup-gate';
import { startSend } from '../src/send/control';
import { dailyCap, nextUtcDay, parseWarmup, warmupDay } from '../src/send/warmup';
import { startWorkers, type RunningWorkers } from '../workers/index';
import { deliveryStates, seedSend, startStack, waitFor, type TestStack } from './helpers';

const ADMIN_TOKEN = 'warmup-admin-token-0123456789';

describe('WARMUP syntax and arithmetic', () => {
  it('reads one schedule for every route, or one per route, and names the part that is wrong', () => {
    const all = parseWarmup('day1=500, then x1.5 daily up to 200000');
    expect(all.others).toEqual({ day1: 500, factor: 1.5, max: 200000, from: undefined });
    const per = parseWarmup('mx1.example.net:587 day1=500, then ×1.5 daily up to 200000; MX2.example.net:25 day1=50 x2 daily up to 20000, from 2026-12-01', ['mx1.example.net:587', 'mx2.example.net:25']);
    expect(per.routes.get('mx1.example.net:587')).toEqual({ day1: 500, factor: 1.5, max: 200000, from: undefined });
    expect(per.routes.get('mx2.example.net:25')).toEqual({ day1: 50, factor: 2, max: 20000, from: '2026-12-01' });
    expect(per.others).toBeUndefined();
    const smtp = { SMTP_URL: 'smtp://mx1.example.net:587,smtp://mx2.example.net:25' };
    expect(() => loadConfig({ ...smtp, WARMUP: 'day1=500 then 1.5 daily' })).toThrow(/^WARMUP.*'day1=500 then 1\.5 daily' is not a schedule like 'day1=500, then x1\.5 daily up to 200000'/);
    expect(() => loadConfig({ ...smtp, WARMUP: 'mx3.example.net:25 day1=5, x2 daily up to 100' })).toThrow(/WARMUP.*'mx3\.example\.net:25' is not one of SMTP_URL's routes \(mx1\.example\.net:587, mx2\.example\.net:25\)/);
    expect(() => loadConfig({ WARMUP: 'day1=500, x0.5 daily up to 1000' })).toThrow(/WARMUP.*the daily factor must be 1 or more/);
    expect(() => loadConfig({ WARMUP: 'day1=500, x2 daily up to 100' })).toThrow(/WARMUP.*'up to 100' is below day1=500/);
    expect(() => loadConfig({ WARMUP: 'day1=5, x2 daily up to 100; day1=6, x2 daily up to 100' })).toThrow(/WARMUP.*only one entry may leave out its route/);
    expect(() => loadConfig({ WARMUP: 'day1=5, x2 daily up to 100, from 2026-13-45' })).toThrow(/WARMUP.*'2026-13-45' is not a date/);
  });

  it('grows the cap by the factor each UTC day up to the ceiling', () => {
    const schedule = parseWarmup('day1=500, then x1.5 daily up to 200000').others!;
    expect([1, 2, 3, 4, 5].map((n) => dailyCap(schedule, n))).toEqual([500, 750, 1125, 1687, 2531]);
    expect(dailyCap(schedule, 15)).toBe(145964);
    expect(dailyCap(schedule, 16)).toBe(200000);
    expect(dailyCap(schedule, 90)).toBe(200000);
    expect(warmupDay('2026-12-01', '2026-12-01')).toBe(1);
    expect(warmupDay('2026-12-01', '2026-12-03')).toBe(3);
    expect(warmupDay('2026-12-05', '2026-12-03')).toBe(1);
    expect(nextUtcDay(Date.parse('2026-12-01T23:59:59.999Z')).toISOString()).toBe('2026-12-02T00:00:00.000Z');
  });
});

describe('warm-up with real SMTP peers', () => {
  let stack: TestStack | undefined;
  let workers: RunningWorkers | undefined;
  const peers: CaptureServer[] = [];
  afterEach(async () => {
    await workers?.close();
    workers = undefined;
    await stack?.close();
    stack = undefined;
    for (const peer of peers.splice(0)) await peer.close();
  });

  it('caps each route per day across workers, holds the rest until the next day without spending attempts, and says so in status', async () => {
    // Two routes, each a real SMTP server; route A defers its first three messages (421), as a provider does
    // when a new IP sends too fast: a deferral gives its slot back, so A still takes exactly its cap.
    let deferrals = 0;
    const a = new CaptureServer({
      keep: true,
      reply: () => (deferrals < 3 ? (deferrals++, { code: 421, message: '4.7.0 Try again later, closing connection. (new IP: too many messages)' }) : undefined),
    });
    const b = new CaptureServer({ keep: true });
    peers.push(a, b);
    await a.listen();
    await b.listen();
    const routeA = `127.0.0.1:${a.port}`;
    const routeB = `127.0.0.1:${b.port}`;
    const env = {
      ADMIN_TOKEN,
      SMTP_URL: `${a.url},${b.url}`,
      WARMUP: `${routeA} day1=20, then x2 daily up to 1000; ${routeB} day1=10, then x1.5 daily up to 1000`,
      THROTTLE_PAUSE_SECONDS: '0.2',
    };
    stack = await startStack({ http: true, env });
    // The warm-up's clock is moved to twenty seconds before midnight (UTC) when the send starts, so the test
    // sees a day change whatever the time of day and however slow the set-up on a loaded machine.
    const day1End = nextUtcDay(Date.now());
    let offset = 0;
    const clock = () => Date.now() + offset;
    workers = await startWorkers(stack.services, createSmtpMailer({ url: env.SMTP_URL, poolSize: 3 }), { concurrency: 10, clock });

    // Two more "hosts" share the counters: of 100 requests each, exactly the cap is granted.
    const plan = parseWarmup('mx.example.net:25 day1=30, then x2 daily up to 1000, from 2026-01-01');
    const hosts = [0, 1].map(() => new WarmupGate({ redis: stack!.services.redis, pool: stack!.services.pool, prefix: `${stack!.config.queuePrefix}:gates`, plan, log: stack!.services.log, now: () => Date.parse('2026-01-01T12:00:00Z') }));
    const grants = await Promise.all(Array.from({ length: 200 }, (_, i) => hosts[i % 2].reserve(['mx.example.net:25'])));
    expect(grants.filter((g) => !g.held)).toHaveLength(30);
    expect(grants.find((g) => g.held)).toMatchObject({ held: true, until: new Date('2026-01-02T00:00:00Z') });

    const { issueId } = await seedSend(stack, 'warm', 120);
    offset = day1End.getTime() - 20_000 - Date.now();
    const { send } = await startSend(stack.services, issueId, 'warm');
    const api = async () => {
      const res = await fetch(`${stack!.baseUrl}/api/sends/${send.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return (await res.json()) as { status: string; counts: Record<string, number>; warmup: { heldUntil: string; held: number; routes: { route: string; day: number; cap: number }[] } | null };
    };

    // Day 1: 20 through A (after its three deferrals), 10 through B; the other 90 are held until midnight.
    const day1 = await waitFor(async () => {
      const status = await api();
      // Settled: a delivery claimed just as the cap ran out is on its way back to queued for a moment.
      return status.warmup && status.counts.sent === 30 && status.counts.sending === 0 ? status : undefined;
    }, 19_000);
    expect(clock()).toBeLessThan(day1End.getTime());
    expect(a.messages).toHaveLength(20);
    expect(b.messages).toHaveLength(10);
    expect(deferrals).toBe(3);
    expect(day1.status).toBe('sending');
    expect(day1.warmup).toEqual({
      heldUntil: day1End.toISOString(),
      held: 90,
      routes: [{ route: routeA, day: 1, cap: 20 }, { route: routeB, day: 1, cap: 10 }].sort((x, y) => x.route.localeCompare(y.route)),
    });

    // Day 2 (after midnight on the warm-up's clock): caps 40 and 15; 35 wait for day 3.
    const day2 = await waitFor(async () => {
      const status = await api();
      return status.counts.sent === 85 && status.counts.sending === 0 && status.warmup && status.warmup.heldUntil !== day1End.toISOString() ? status : undefined;
    }, 40_000);
    expect(a.messages).toHaveLength(60);
    expect(b.messages).toHaveLength(25);
    expect(day2.warmup!.held).toBe(35);
    expect(day2.warmup!.heldUntil).toBe(new Date(day1End.getTime() + 86_400_000).toISOString());
    expect(day2.warmup!.routes.map((r) => [r.day, r.cap]).sort()).toEqual([[2, 15], [2, 40]]);
    expect(new Set([...a.messages, ...b.messages].map((m) => m.to[0])).size).toBe(85);

    // Held deliveries are queued as they were: no attempt spent, no throttle counted, not failed.
    expect(await deliveryStates(stack, send.id)).toEqual({ sent: 85, queued: 35 });
    const { rows } = await stack.services.pool.query<{ attempts: number; throttles: number }>(
      `SELECT max(attempts)::int AS attempts, max(throttles)::int AS throttles FROM deliveries WHERE send_id = $1 AND status = 'queued'`, [send.id]);
    expect(rows[0]).toEqual({ attempts: 0, throttles: 0 });

    // While held they cost nothing: over three seconds no delivery row changes (nothing is claimed), and the
    // process (workers, HTTP server and this test) uses little CPU.
    const changed = async () => (await stack!.services.pool.query<{ at: Date }>('SELECT max(updated_at) AS at FROM deliveries WHERE send_id = $1', [send.id])).rows[0].at.getTime();
    const before = await changed();
    const cpu = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const used = process.cpuUsage(cpu);
    expect(await changed()).toBe(before);
    console.log(`warm-up hold: 35 deliveries held, ${((used.user + used.system) / 3_000).toFixed(1)} ms CPU per second in the test process`);
  }, 90_000);
});
