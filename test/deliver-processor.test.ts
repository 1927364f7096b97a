import { DelayedError, type Job, type Worker } from 'bullmq';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { BounceReport } from '../src/bounces/report';
import { loadConfig } from '../src/config';
import type { ClaimedDelivery, DeliveryResult } from '../src/db/deliveries';
import type { PolicyStreakUpdate } from '../src/db/sends';
import type { DeliveryStatus, SendStatus } from '../src/db/states';
import { classifySmtpError, type Envelope, type Mailer } from '../src/mail/mailer';
import type { DeliverJobData } from '../src/queue/queues';
import { Links } from '../src/security/links';
import { TokenCodec } from '../src/security/tokens';
import { buildSendTemplate } from '../src/send/send-template';
import { DeliverProcessor, type DeliverDeps, type DeliverStore } from '../workers/deliver';
import type { SendMessage } from '../workers/send-message-cache';

// The deliver processor's decisions with plain in-memory fakes (no PostgreSQL, Redis or SMTP): the same
// processor the integration tests (send-path, sending-failures, sending-control) run against real services.

// Retries 1 s apart for 10 s (ten attempts); two throttles per attempt; 5.7.x streaks pause at 3.
const config = loadConfig({ NODE_ENV: 'test', POLICY_FAILURE_LIMIT: '3', RETRY_SCHEDULE: '1s', RETRY_FOR_HOURS: String(10 / 3600), THROTTLES_PER_ATTEMPT: '2', THROTTLE_PAUSE_SECONDS: '5' });
const links = new Links(config.publicUrl, new TokenCodec(config.secretKey));
const log = pino({ level: 'silent' });

interface FakeDelivery {
  id: number;
  sendId: number;
  subscriberId: number;
  email: string;
  status: DeliveryStatus;
  attempts: number;
  /** Throttles in a row since the last attempt that counted. */
  throttles: number;
  /** The subscription is still confirmed and the address not blocked. */
  allowed: boolean;
  failureKind?: string | null;
  smtpResponse?: string | null;
}

/** The rules of src/db's queries, over two maps. */
class MemoryStore implements DeliverStore {
  readonly deliveries = new Map<number, FakeDelivery>();
  readonly sends = new Map<number, { status: SendStatus; streak: number; reason?: string }>();

  addSend(id: number, status: SendStatus = 'sending') {
    this.sends.set(id, { status, streak: 0 });
  }

  addDelivery(d: Partial<FakeDelivery> & { id: number }) {
    this.deliveries.set(d.id, { sendId: 1, subscriberId: d.id, email: `reader${d.id}@example.com`, status: 'queued', attempts: 0, throttles: 0, allowed: true, ...d });
  }

  async claimDeliveries(ids: number[]): Promise<ClaimedDelivery[]> {
    const claimed: ClaimedDelivery[] = [];
    for (const id of ids) {
      const d = this.deliveries.get(id);
      const send = d && this.sends.get(d.sendId);
      if (!d || !send || !['fanning_out', 'sending'].includes(send.status) || !['queued', 'retrying'].includes(d.status)) continue;
      d.status = d.allowed ? 'sending' : 'suppressed';
      if (d.allowed) d.attempts++;
      claimed.push({ id, sendId: d.sendId, subscriberId: d.subscriberId, status: d.status as 'sending' | 'suppressed', attempts: d.attempts, throttles: d.throttles, email: d.email, name: '' });
    }
    return claimed;
  }

  async recordDeliveryResults(results: DeliveryResult[]): Promise<void> {
    for (const r of results) {
      const d = this.deliveries.get(r.id)!;
      if (d.status !== 'sending') continue;
      if (r.status === 'queued') d.attempts = Math.max(d.attempts - 1, 0);
      d.throttles = r.held ? d.throttles : r.status === 'queued' ? d.throttles + 1 : 0;
      Object.assign(d, { status: r.status, failureKind: r.failureKind, smtpResponse: r.smtpResponse });
    }
  }

  async updatePolicyStreaks(updates: PolicyStreakUpdate[], limit: number): Promise<number[]> {
    const over: number[] = [];
    for (const u of updates) {
      const send = this.sends.get(u.sendId)!;
      send.streak = u.reset ? u.failures : send.streak + u.failures;
      if (send.streak >= limit) over.push(u.sendId);
    }
    return over;
  }

  async markPaused(sendId: number, reason: string): Promise<SendStatus | undefined> {
    const send = this.sends.get(sendId)!;
    if (!['scheduled', 'queued', 'fanning_out', 'sending'].includes(send.status)) return undefined;
    const previous = send.status;
    Object.assign(send, { status: 'paused', reason });
    return previous;
  }

  async finishSendsIfDone(sendIds: number[]): Promise<number[]> {
    return sendIds.filter((id) => {
      const send = this.sends.get(id)!;
      const left = [...this.deliveries.values()].some((d) => d.sendId === id && ['queued', 'sending', 'retrying'].includes(d.status));
      if (send.status !== 'sending' || left) return false;
      send.status = 'finished';
      return true;
    });
  }
}

/** Answers each recipient as scripted (a reply text per address), or accepts. */
class ScriptedMailer implements Mailer {
  readonly sent: Envelope[] = [];
  /** The route each message was sent on, when the warm-up chose one. */
  readonly routes: (string | undefined)[] = [];
  constructor(private readonly replies: Record<string, string> = {}) {}
  preferredRoutes() {
    return ['a:25', 'b:25'];
  }
  async send(envelope: Envelope, _message: unknown, route?: string) {
    this.routes.push(route);
    const reply = this.replies[envelope.to];
    if (reply) throw classifySmtpError({ responseCode: Number(reply.slice(0, 3)), response: reply }, envelope.to, 'fake:25');
    this.sent.push(envelope);
    return { response: '250 2.0.0 queued', route: 'fake:25' };
  }
  async close() {}
}

function message(sendId: number): SendMessage {
  const { template } = buildSendTemplate({
    config,
    links,
    dkim: undefined,
    sendId,
    issue: { id: 1, slug: 'issue-1', subject: 'Issue 1', text: 'Hello {{name}}' },
    list: { id: 1, name: 'Weekly', slug: 'weekly' },
    html: '<p>Hello</p>',
  });
  return { template, listId: 1, defaultName: 'reader', envelopeFrom: 'news@example.com', envelopeFor: () => 'news@example.com', tracking: false };
}

function setup(replies: Record<string, string> = {}, warmup?: DeliverDeps['warmup']) {
  const store = new MemoryStore();
  store.addSend(1);
  const mailer = new ScriptedMailer(replies);
  const refusals: BounceReport[] = [];
  const processor = new DeliverProcessor({
    store,
    mailer,
    messages: { get: async (sendId) => message(sendId) },
    links,
    applyRefusals: async (reports) => refusals.push(...reports),
    log,
    warmup,
    config,
  });
  return { store, mailer, refusals, processor };
}

/** A BullMQ job as the processor uses it: its data, and moving it back to the delayed set. */
function job(deliveryId: number) {
  const delayedUntil: number[] = [];
  const j = { data: { deliveryId }, moveToDelayed: async (at: number) => void delayedUntil.push(at) };
  return { job: j as unknown as Job<DeliverJobData>, delayedUntil };
}

describe('the deliver processor, with in-memory fakes', () => {
  it('sends a claimed delivery, records it sent, and finishes the send after its last result', async () => {
    const { store, mailer, processor } = setup();
    store.addDelivery({ id: 1 });
    await expect(processor.process(job(1).job)).resolves.toBe('sent');
    expect(mailer.sent).toEqual([{ from: 'news@example.com', to: 'reader1@example.com' }]);
    expect(store.deliveries.get(1)).toMatchObject({ status: 'sent', attempts: 1, smtpResponse: '250 2.0.0 queued' });
    await expect.poll(() => store.sends.get(1)!.status).toBe('finished');
  });

  it('marks a subscriber who left suppressed and sends nothing; skips a delivery it cannot claim', async () => {
    const { store, mailer, processor } = setup();
    store.addDelivery({ id: 1, allowed: false });
    store.addDelivery({ id: 2, status: 'sent' });
    await expect(processor.process(job(1).job)).resolves.toBe('suppressed');
    await expect(processor.process(job(2).job)).resolves.toBe('skipped');
    expect(mailer.sent).toEqual([]);
    expect(store.deliveries.get(1)!.status).toBe('suppressed');
    expect(store.sends.get(1)!.status).toBe('finished');
  });

  it('sends nothing for a paused send', async () => {
    const { store, mailer, processor } = setup();
    store.sends.get(1)!.status = 'paused';
    store.addDelivery({ id: 1 });
    await expect(processor.process(job(1).job)).resolves.toBe('skipped');
    expect(mailer.sent).toEqual([]);
    expect(store.deliveries.get(1)!.status).toBe('queued');
  });

  it('retries a temporary failure later, spending an attempt', async () => {
    const { store, processor } = setup({ 'reader1@example.com': '450 4.2.0 Mailbox temporarily unavailable' });
    store.addDelivery({ id: 1 });
    const { job: j, delayedUntil } = job(1);
    const before = Date.now();
    await expect(processor.process(j)).rejects.toBeInstanceOf(DelayedError);
    expect(store.deliveries.get(1)).toMatchObject({ status: 'retrying', attempts: 1, failureKind: null });
    // The schedule's first step (1 s) with ±20% jitter.
    expect(delayedUntil).toHaveLength(1);
    expect(delayedUntil[0] - before).toBeGreaterThanOrEqual(800);
    expect(delayedUntil[0] - before).toBeLessThan(1200 + 1000);
  });

  it('under warm-up sends on the route granted, gives a deferred slot back, and holds a delivery no route has room for', async () => {
    // Route a:25 has room for two messages today, b:25 none.
    const used = new Map([['a:25', 0]]);
    const released: string[] = [];
    const until = new Date(Date.now() + 3_600_000);
    const warmup = {
      reserve: async (preferred: readonly string[]) => {
        expect(preferred).toEqual(['a:25', 'b:25']);
        if (used.get('a:25')! < 2) {
          used.set('a:25', used.get('a:25')! + 1);
          return { route: 'a:25' };
        }
        return { held: true as const, until, waitMs: until.getTime() - Date.now() };
      },
      release: async (route: string) => {
        released.push(route);
        used.set(route, used.get(route)! - 1);
      },
    };
    const { store, mailer, processor } = setup({ 'reader2@example.com': '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints' }, warmup);
    for (const id of [1, 2, 3]) store.addDelivery({ id });
    await expect(processor.process(job(1).job)).resolves.toBe('sent');
    expect(mailer.routes).toEqual(['a:25']);
    // A deferral: the slot goes back, the delivery waits as throttled (no worker here: on the delayed set).
    await expect(processor.process(job(2).job)).rejects.toBeInstanceOf(DelayedError);
    expect(released).toEqual(['a:25']);
    expect(store.deliveries.get(2)).toMatchObject({ status: 'queued', attempts: 0, throttles: 1 });
    // The slot given back takes delivery 3; then nothing has room: delivery 2 is held until the next day.
    await expect(processor.process(job(3).job)).resolves.toBe('sent');
    const { job: j, delayedUntil } = job(2);
    await expect(processor.process(j)).rejects.toBeInstanceOf(DelayedError);
    expect(store.deliveries.get(2)).toMatchObject({ status: 'queued', attempts: 0, throttles: 1 });
    expect(store.deliveries.get(2)!.smtpResponse).toMatch(/^held by the warm-up: every route reached today's cap/);
    expect(delayedUntil[0]).toBeGreaterThanOrEqual(until.getTime() - 1000);
    expect(mailer.sent.map((e) => e.to)).toEqual(['reader1@example.com', 'reader3@example.com']);
  });

  it('fails a delivery as exhausted when its last attempt fails temporarily', async () => {
    const { store, refusals, processor } = setup({ 'reader1@example.com': '450 4.2.0 Mailbox temporarily unavailable' });
    expect(config.retry.maxAttempts).toBe(11);
    store.addDelivery({ id: 1, status: 'retrying', attempts: config.retry.maxAttempts - 1 });
    await expect(processor.process(job(1).job)).resolves.toBe('failed');
    expect(store.deliveries.get(1)).toMatchObject({ status: 'failed', failureKind: 'exhausted', attempts: config.retry.maxAttempts });
    expect(refusals).toEqual([]);
  });

  it('fails a permanent refusal at once and hands it to the bounce policy', async () => {
    const { store, refusals, processor } = setup({ 'reader1@example.com': '550 5.1.1 User unknown' });
    store.addDelivery({ id: 1 });
    await expect(processor.process(job(1).job)).resolves.toBe('failed');
    expect(store.deliveries.get(1)).toMatchObject({ status: 'failed', failureKind: 'recipient', smtpResponse: '550 5.1.1 User unknown' });
    await expect.poll(() => refusals.length).toBe(1);
    expect(refusals[0]).toMatchObject({ source: 'smtp', kind: 'hard', email: 'reader1@example.com', status: '5.1.1', eventId: 'delivery:1' });
  });

  it('puts a throttled delivery back without spending an attempt and holds the whole queue', async () => {
    const { store, processor } = setup({ 'reader1@example.com': '421 4.7.0 Too many connections, slow down' });
    store.addDelivery({ id: 1 });
    const holds: number[] = [];
    processor.worker = { rateLimit: async (ms: number) => void holds.push(ms) } as unknown as Worker<DeliverJobData>;
    await expect(processor.process(job(1).job)).rejects.toMatchObject({ name: 'RateLimitError' });
    expect(store.deliveries.get(1)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(holds).toEqual([5_000]);
  });

  it('past THROTTLES_PER_ATTEMPT throttles in a row, a throttle spends an attempt like a temporary failure', async () => {
    const { store, processor } = setup({ 'reader1@example.com': '421 4.7.0 Too many connections, slow down' });
    store.addDelivery({ id: 1 });
    const outcomes: string[] = [];
    for (let round = 0; round < 3; round++) {
      outcomes.push(await processor.process(job(1).job).then(String, (err: Error) => err.name));
      if (store.deliveries.get(1)!.status === 'retrying') break;
    }
    expect(outcomes).toEqual(['DelayedError', 'DelayedError', 'DelayedError']);
    expect(store.deliveries.get(1)).toMatchObject({ status: 'retrying', attempts: 1 });
  });

  it('without a BullMQ worker, delays the throttled job itself', async () => {
    const { store, processor } = setup({ 'reader1@example.com': '421 4.7.0 Too many connections, slow down' });
    store.addDelivery({ id: 1 });
    const { job: j, delayedUntil } = job(1);
    await expect(processor.process(j)).rejects.toBeInstanceOf(DelayedError);
    expect(delayedUntil).toHaveLength(1);
    expect(store.deliveries.get(1)!.status).toBe('queued');
  });

  it('pauses a send after POLICY_FAILURE_LIMIT 5.7.x refusals in a row; a message that goes out resets the streak', async () => {
    const policy = '550 5.7.1 Message rejected due to DMARC policy';
    const replies = Object.fromEntries([1, 2, 4, 5, 6].map((n) => [`reader${n}@example.com`, policy]));
    const { store, refusals, processor } = setup(replies);
    for (const id of [1, 2, 3, 4, 5, 6]) store.addDelivery({ id });
    // Two refusals, then a success: the streak starts again.
    for (const id of [1, 2, 3]) await processor.process(job(id).job);
    expect(store.sends.get(1)).toMatchObject({ status: 'sending', streak: 0 });
    // Three in a row: paused, with a reason naming what to check.
    for (const id of [4, 5, 6]) await processor.process(job(id).job);
    expect(store.sends.get(1)!.status).toBe('paused');
    expect(store.sends.get(1)!.reason).toMatch(/3 or more 5\.7\.x refusals in a row.*DKIM/);
    expect(store.deliveries.get(4)!.failureKind).toBe('sender');
    // A policy refusal is the sender's problem: it goes to the bounce policy as `policy`, which suppresses nobody.
    await expect.poll(() => refusals.length).toBe(5);
    expect(new Set(refusals.map((r) => r.kind))).toEqual(new Set(['policy']));
  });

  it('batches claims and results of jobs in flight together', async () => {
    const { store, processor } = setup();
    const calls: number[] = [];
    const claim = store.claimDeliveries.bind(store);
    store.claimDeliveries = async (ids: number[]) => {
      calls.push(ids.length);
      return claim(ids);
    };
    for (let id = 1; id <= 50; id++) store.addDelivery({ id });
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => processor.process(job(i + 1).job)));
    expect(outcomes.every((o) => o === 'sent')).toBe(true);
    expect(calls).toEqual([50]);
    await expect.poll(() => store.sends.get(1)!.status).toBe('finished');
  });
});
