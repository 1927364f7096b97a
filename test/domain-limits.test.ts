import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { loadConfig } from '../src/config';
import { createList } from '../src/db/lists';
import { upsertSubscribers } from '../src/db/subscribers';
import type { CapturedMessage } from '../src/mail/capture-server';
import { DomainPace } from '../src/queue/domain-pace';
import { createIssueFromFile } from '../src/issues/create-issue';
import { SAMPLE_ISSUE } from '../src/cli/demo';
import { startSend } from '../src/send/control';
import { DEFAULT_PACE_POLICY, groupOf, groupQueueName, limiterFor, parseDomainLimits } from '../src/send/domain-limits';
import { isolatedEnv, removeQueueKeys, startStack, waitFor, workerProcess, type TestStack } from './helpers';

describe('DOMAIN_LIMITS', () => {
  it('parses groups, units and the fallback, and names what is wrong', () => {
    const limits = parseDomainLimits('gmail.com, GoogleMail.com=40/s; yahoo.com,aol.com=1200/min; *=200/s');
    expect(limits.groups).toEqual([
      { name: 'gmail.com', domains: ['gmail.com', 'googlemail.com'], perSecond: 40 },
      { name: 'yahoo.com', domains: ['yahoo.com', 'aol.com'], perSecond: 20 },
    ]);
    expect(limits.fallback).toEqual({ name: '*', domains: [], perSecond: 200 });
    expect(groupOf(limits, 'GoogleMail.com')?.name).toBe('gmail.com');
    expect(groupOf(limits, 'example.org')?.name).toBe('*');
    expect(groupOf(parseDomainLimits('gmail.com=1/s'), 'example.org')).toBeUndefined();
    expect(groupQueueName(groupOf(limits, 'aol.com'))).toBe('deliver-yahoo.com');
    expect(groupQueueName(limits.fallback)).toBe('deliver');
    expect(() => loadConfig({ DOMAIN_LIMITS: 'gmail.com=40' })).toThrow(/DOMAIN_LIMITS.*'gmail\.com=40' is not domains=N\/s/);
    expect(() => loadConfig({ DOMAIN_LIMITS: 'gmail.com=40/day' })).toThrow(/DOMAIN_LIMITS.*unit must be/);
    expect(() => loadConfig({ DOMAIN_LIMITS: 'gmail.com=4/s; gmail.com=5/s' })).toThrow(/'gmail\.com' is in two groups/);
    expect(() => loadConfig({ DOMAIN_LIMITS: 'gmail=4/s' })).toThrow(/'gmail' is not a domain name/);
    expect(() => loadConfig({ DOMAIN_LIMITS: 'a.com=0/s' })).toThrow(/more than 0/);
  });

  it('turns a rate and a pace into a BullMQ limiter, below one a second as one message per longer window', () => {
    expect(limiterFor(40, 1)).toEqual({ max: 40, duration: 1000 });
    expect(limiterFor(40, 0.5)).toEqual({ max: 20, duration: 1000 });
    expect(limiterFor(40, 1 / 64)).toEqual({ max: 1, duration: 1600 });
    expect(limiterFor(0.5, 1)).toEqual({ max: 1, duration: 2000 });
  });

  it('keeps one shared pace per group in Redis: a burst of deferrals halves it once, quiet brings it back step by step', async () => {
    const redis = new Redis('redis://127.0.0.1:6379');
    const prefix = isolatedEnv().QUEUE_PREFIX;
    try {
      const policy = { ...DEFAULT_PACE_POLICY, holdMs: 300, recoveryMs: 100, step: 0.25 };
      const hostA = new DomainPace(redis, prefix, policy);
      const hostB = new DomainPace(redis, prefix, policy);
      // Twenty messages in flight on two hosts are deferred at once: one cut.
      const paces = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? hostA : hostB).deferred('gmail.com')));
      expect(new Set(paces)).toEqual(new Set([0.5]));
      expect(await hostA.read('gmail.com')).toEqual({ pace: 0.5, cuts: 1 });
      expect(await hostA.read('yahoo.com')).toEqual({ pace: 1, cuts: 0 });
      // After the hold, a new deferral cuts again.
      await waitFor(async () => (await hostB.deferred('gmail.com')) === 0.25 || undefined, 10_000);
      // Quiet: one step per recovery interval, whichever host ticks.
      const seen = new Set<number>();
      await waitFor(async () => {
        const pace = await (seen.size % 2 ? hostA : hostB).tick('gmail.com');
        seen.add(pace);
        return pace === 1 || undefined;
      }, 10_000);
      expect([...seen].sort()).toEqual([0.25, 0.5, 0.75, 1]);
      // Never below the floor.
      const floor = new DomainPace(redis, prefix, { ...policy, holdMs: 0 });
      for (let i = 0; i < 10; i++) await floor.deferred('aol.com');
      expect((await floor.read('aol.com')).pace).toBe(policy.min);
    } finally {
      redis.disconnect();
      await removeQueueKeys(prefix);
    }
  });
});

/** Subscribers of one list at the given domains: `count` each, addresses r<i>@<domain>. */
async function seedDomains(stack: TestStack, slug: string, counts: Record<string, number>): Promise<number> {
  const { pool, config } = stack.services;
  const listId = (await createList(pool, { slug, name: slug })).id;
  for (const [domain, count] of Object.entries(counts)) {
    const batch = Array.from({ length: count }, (_, i) => ({ email: `r${i + 1}@${domain}`, name: `R${i + 1}`, attributes: {} }));
    await upsertSubscribers(pool, listId, batch, 'confirmed');
  }
  return (await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: config.assetBaseUrl })).issue.id;
}

const domainOfMessage = (m: CapturedMessage) => m.to[0].split('@')[1];

/** Acceptance times of a domain's messages, in ms since the first message of the send. */
function timeline(stamps: { domain: string; at: number }[], ...domains: string[]): number[] {
  const start = stamps[0]?.at ?? 0;
  return stamps.filter((s) => domains.includes(s.domain)).map((s) => s.at - start);
}

describe('per-domain limits with a real SMTP peer', () => {
  let stack: TestStack | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    children.length = 0;
    await stack?.close();
    stack = undefined;
  });

  it('holds each group to its rate across two worker processes while other domains go at full speed', async () => {
    const limits = 'gmail.com,googlemail.com=10/s; *=1000/s';
    const stamps: { domain: string; at: number }[] = [];
    stack = await startStack({ env: { DOMAIN_LIMITS: limits } });
    stack.smtp.onMessage((m) => stamps.push({ domain: domainOfMessage(m), at: Date.now() }));
    const issueId = await seedDomains(stack, 'limits', { 'gmail.com': 80, 'googlemail.com': 70, 'example.org': 300 });
    for (let i = 0; i < 2; i++) children.push(workerProcess(stack, { DOMAIN_LIMITS: limits, WORKER_CONCURRENCY: '20' }));
    const { send } = await startSend(stack.services, issueId, 'limits');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 450, sent: 450, failed: 0 });
    const addresses = stack.smtp.messages.map((m) => m.to[0]);
    expect(new Set(addresses).size).toBe(450);
    expect(addresses).toHaveLength(450);

    const google = timeline(stamps, 'gmail.com', 'googlemail.com');
    const other = timeline(stamps, 'example.org');
    // 150 messages at 10/s across both processes: at least ~14 s however fast the machine. A loaded machine
    // may deliver late and in bursts, never early: the n-th message arrives no sooner than its place in a
    // 10/s schedule, less two 1 s windows (the limiter counts jobs in fixed windows as they start).
    expect(google[google.length - 1] - google[0]).toBeGreaterThanOrEqual(13_000);
    const early = google.filter((t, n) => t - google[0] < ((n + 1 - 20) / 10) * 1000);
    expect(early).toEqual([]);
    // The other domain did not wait behind gmail's backlog: all 300 went out before gmail's 100th (10 s).
    expect(other[other.length - 1]).toBeLessThan(google[99]);
  }, 240_000);

  it('a deferral from one domain halves that domain’s pace and holds only its queue; the pace recovers', async () => {
    const limits = 'yahoo.com,aol.com=20/s; *=40/s';
    const stamps: { domain: string; at: number }[] = [];
    let deferredAt = 0;
    let deferrals = 0;
    stack = await startStack({
      workers: true,
      env: { DOMAIN_LIMITS: limits, DOMAIN_PACE_RECOVERY_SECONDS: '1' },
      smtp: {
        // yahoo.com's server defers its first three messages, as Yahoo does when a sender goes too fast.
        reply: (m) => {
          if (domainOfMessage(m) !== 'yahoo.com' || deferrals >= 3) return undefined;
          deferrals++;
          deferredAt ||= Date.now();
          return { code: 421, message: '4.7.0 [TSS04] Too many messages from 192.0.2.1, rate limited; try again later' };
        },
      },
    });
    stack.smtp.onMessage((m) => stamps.push({ domain: domainOfMessage(m), at: Date.now() }));
    const issueId = await seedDomains(stack, 'adaptive', { 'yahoo.com': 100, 'example.org': 200 });
    const pace = new DomainPace(stack.services.redis, stack.config.queuePrefix, stack.config.pacePolicy);
    const { send } = await startSend(stack.services, issueId, 'adaptive');
    await waitFor(async () => (await pace.read('yahoo.com')).cuts >= 1 || undefined, 60_000);
    expect((await pace.read('yahoo.com')).pace).toBeLessThanOrEqual(0.5);
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 300, sent: 300, failed: 0 });
    expect(new Set(stack.smtp.messages.map((m) => m.to[0])).size).toBe(300);
    // The deferred messages kept their attempts: a deferral is not a failure.
    const { rows } = await stack.services.pool.query<{ max: number }>('SELECT max(attempts)::int AS max FROM deliveries WHERE send_id = $1', [send.id]);
    expect(rows[0].max).toBe(1);
    // The other domain went on while yahoo.com was held: example.org messages were accepted in the second
    // after the deferral (the old behaviour held every queue for 5 s).
    const otherAfter = stamps.filter((s) => s.domain === 'example.org' && s.at > deferredAt && s.at < deferredAt + 1000);
    expect(otherAfter.length).toBeGreaterThan(0);
    // …and yahoo.com's pace came back to full, step by step, once the deferrals stopped.
    await waitFor(async () => (await pace.read('yahoo.com')).pace === 1 || undefined, 60_000);
  }, 240_000);
});
