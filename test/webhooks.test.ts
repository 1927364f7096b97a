import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyBounceReports } from '../src/bounces/apply';
import { parseReportMessage } from '../src/bounces/report-message';
import { waitForSend } from '../src/cli/progress';
import { loadConfig } from '../src/config';
import { startSend } from '../src/send/control';
import { signatureHeader, verifySignature, webhookSecret } from '../src/webhooks/signature';
import { parse, rawHeaders, seedSend, startStack, waitFor, type TestStack } from './helpers';

const ADMIN_TOKEN = 'webhook-admin-token-0123456789';

describe('webhook signatures', () => {
  it('signs t.body with HMAC-SHA256 as Stripe does, and a receiver refuses forged, altered or old ones', () => {
    const secret = webhookSecret('k'.repeat(40), 7, 'salt');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhookSecret('k'.repeat(40), 8, 'salt')).not.toBe(secret);
    const body = '{"id":"evt_1","type":"open"}';
    const now = Date.parse('2026-12-01T12:00:00Z');
    const header = signatureHeader(secret, body, now / 1000);
    expect(header).toMatch(new RegExp(`^t=${now / 1000},v1=[0-9a-f]{64}$`));
    expect(verifySignature(secret, header, body, 300, now)).toBe(true);
    expect(verifySignature(secret, header, body.replace('open', 'click'), 300, now)).toBe(false);
    expect(verifySignature('whsec_other', header, body, 300, now)).toBe(false);
    expect(verifySignature(secret, header, body, 300, now + 301_000)).toBe(false);
    expect(verifySignature(secret, 'v1=abc', body, 300, now)).toBe(false);
    expect(verifySignature(secret, undefined, body, 300, now)).toBe(false);
  });

  it('reads its variables and names the one that is wrong', () => {
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '1s,5s', WEBHOOK_RETRY_FOR_HOURS: '1' }).outgoingWebhooks.retry.steps).toEqual([1000, 5000]);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE: 'soon' })).toThrow(/WEBHOOK_RETRY_SCHEDULE.*'soon' is not a duration/);
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_SECONDS: '0' })).toThrow(/WEBHOOK_TIMEOUT_SECONDS/);
  });
});

interface Received {
  id: string;
  type: string;
  created: string;
  data: Record<string, unknown>;
}

/**
 * A receiver as an operator would write one: checks the signature over the raw body, de-duplicates on the
 * event id. It can be down (not listening), answer 503 to some requests, or record an event and then drop the
 * connection without answering (the sender cannot know it arrived, and sends it again).
 */
class Receiver {
  server: Server | undefined;
  port = 0;
  readonly unique = new Map<string, Received>();
  /** Event ids in the order they first arrived. */
  readonly order: string[] = [];
  posts = 0;
  badSignatures = 0;
  flaky = false;

  constructor(private secret = '') {}

  setSecret(secret: string): void {
    this.secret = secret;
  }

  async up(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/tidings`;
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.posts++;
    if (!verifySignature(this.secret, req.headers['tidings-signature'] as string | undefined, body)) {
      this.badSignatures++;
      res.writeHead(400).end('bad signature');
      return;
    }
    if (this.flaky && this.posts % 5 === 0) {
      res.writeHead(503).end('busy');
      return;
    }
    const event = JSON.parse(body) as Received;
    expect(req.headers['tidings-event-id']).toBe(event.id);
    if (!this.unique.has(event.id)) {
      this.unique.set(event.id, event);
      this.order.push(event.id);
    }
    // Recorded, but the answer is lost: the sender must retry, and we must count it once.
    if (this.flaky && this.posts % 7 === 0) {
      req.socket.destroy();
      return;
    }
    res.writeHead(204).end();
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.unique.values()) out[e.type] = (out[e.type] ?? 0) + 1;
    return out;
  }
}

describe('outgoing webhooks with a real receiver', () => {
  let stack: TestStack | undefined;
  const receiver = new Receiver();
  afterEach(async () => {
    await receiver.down();
    await stack?.close();
    stack = undefined;
  });

  it('delivers every event signed, exactly once after de-duplication and in order per subscriber, across a receiver outage', async () => {
    await receiver.up();
    stack = await startStack({
      http: true,
      workers: true,
      env: { ADMIN_TOKEN, WEBHOOK_RETRY_SCHEDULE: '200ms,400ms,800ms', WEBHOOK_POLL_SECONDS: '0.1' },
      smtp: {
        // Two addresses do not exist: the SMTP conversation refuses them (delivery.failed and a hard bounce).
        reply: (m) => (/^n(7|13)@/.test(m.to[0]) ? { code: 550, message: '5.1.1 <' + m.to[0] + '>: Recipient address rejected: User unknown' } : undefined),
      },
    });
    const api = (route: string, init: RequestInit = {}) =>
      fetch(`${stack!.baseUrl}/api${route}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' } });

    // Registration: bad input is refused naming the field; the answer holds the signing secret.
    const bad = await api('/webhooks', { method: 'POST', body: JSON.stringify({ url: receiver.url, events: ['delivery.opened'] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/events: 'delivery\.opened' is not an event; choose from delivery\.sent, delivery\.failed, open/);
    const created = await api('/webhooks', { method: 'POST', body: JSON.stringify({ url: receiver.url, events: ['*'], description: 'CRM sync' }) });
    expect(created.status).toBe(201);
    const endpoint = (await created.json()) as { id: number; secret: string; events: string[] };
    expect(endpoint.events).toHaveLength(9);
    receiver.setSecret(endpoint.secret);

    // The receiver goes down; meanwhile subscribers are created and confirmed and a send goes out.
    await receiver.down();
    const { issueId } = await seedSend(stack, 'hooks', 40);
    const { send } = await startSend(stack.services, issueId, 'hooks');
    await waitForSend(stack.services, send.id, { bar: false });
    // Readers open, click, unsubscribe (one click), one complains through Yahoo's feedback loop.
    const messages = await Promise.all(stack.smtp.messages.slice(0, 4).map(async (m) => ({ to: m.to[0], raw: m.raw, mail: await parse(m.raw) })));
    for (const { mail } of messages.slice(0, 3)) {
      const pixel = /src="([^"]+\/o\/[^"]+)"/.exec(String(mail.html))![1];
      expect((await fetch(pixel)).status).toBe(200);
    }
    for (const { mail } of messages.slice(0, 2)) {
      const link = /href="([^"]+\/c\/[^"]+)"/.exec(String(mail.html))![1];
      expect((await fetch(link, { redirect: 'manual' })).status).toBe(302);
    }
    const unsubscribeUrl = /<(http[^>]+\/unsubscribe\/[^>]+)>/.exec(rawHeaders(messages[2].raw, 'List-Unsubscribe')[0])![1];
    expect((await fetch(unsubscribeUrl, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(200);
    const arf = readFileSync(path.join(__dirname, 'fixtures/bounces/yahoo-arf-complaint.eml'), 'utf8')
      .replaceAll('annoyed.reader@yahoo.com', messages[3].to)
      .replace('<tidings.3.107@lifewithdata.test>', messages[3].mail.messageId!);
    await applyBounceReports(stack.services, (await parseReportMessage(Buffer.from(arf))).reports);

    // While it is down the failure view shows the endpoint failing, with the network error.
    const failing = await waitFor(async () => {
      const res = await api(`/webhooks/${endpoint.id}/failures`);
      const view = (await res.json()) as { endpoint: { health: { consecutiveFailures: number; pending: number; lastError: string } }; failures: { error: string; attempt: number; eventType: string }[] };
      return view.failures.some((f) => f.attempt >= 2) ? view : undefined;
    }, 20_000);
    expect(failing.endpoint.health.consecutiveFailures).toBeGreaterThan(0);
    expect(failing.endpoint.health.pending).toBeGreaterThan(100);
    expect(failing.failures[0].error).toMatch(/ECONNREFUSED/);

    // Back up, but flaky: some requests get 503, some answers are lost after the event was recorded.
    receiver.flaky = true;
    await receiver.up();
    const backUp = Date.now();
    const { pool } = stack.services;
    const truth = async () => {
      const { rows: d } = await pool.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM deliveries WHERE send_id = $1 AND status IN ('sent', 'failed') GROUP BY status`, [send.id]);
      const { rows: e } = await pool.query<{ type: string; n: number }>(`SELECT type, count(*)::int AS n FROM events GROUP BY type`);
      const { rows: s } = await pool.query<{ confirmed: number; all: number }>(`SELECT count(*)::int AS all, count(*) FILTER (WHERE confirmed_at IS NOT NULL OR status <> 'unconfirmed')::int AS confirmed FROM subscriptions`);
      const out: Record<string, number> = { 'subscriber.created': s[0].all, 'subscriber.confirmed': s[0].confirmed };
      for (const r of d) out[`delivery.${r.status}`] = r.n;
      for (const r of e) out[r.type] = r.n;
      return out;
    };
    // Opens and clicks are written by the HTTP server in batches (within 200 ms).
    const expected = await waitFor(async () => {
      const t = await truth();
      return t.open === 3 && t.click === 2 ? t : undefined;
    }, 10_000);
    expect(expected).toEqual({
      'subscriber.created': 40, 'subscriber.confirmed': 40, 'delivery.sent': 38, 'delivery.failed': 2,
      bounce: 2, open: 3, click: 2, unsubscribe: 1, complaint: 1,
    });
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    await waitFor(async () => receiver.unique.size >= total || undefined, 45_000);
    // Let any retry still in flight arrive: nothing new may show up.
    await waitFor(async () => {
      const res = await api('/webhooks');
      const { webhooks } = (await res.json()) as { webhooks: { health: { pending: number; consecutiveFailures: number } }[] };
      return webhooks[0].health.pending === 0 && webhooks[0].health.consecutiveFailures === 0 || undefined;
    }, 20_000);
    expect(receiver.counts()).toEqual(expected);
    expect(receiver.badSignatures).toBe(0);
    // Duplicates reached the receiver (lost answers) and were counted once.
    expect(receiver.posts).toBeGreaterThan(total);
    const recovered = Date.now() - backUp;
    console.log(`webhooks: ${total} events, ${receiver.posts} POSTs after the outage (503s and lost answers included), ${receiver.unique.size} unique, all in ${recovered} ms after the receiver came back`);

    // In order per subscriber: created before confirmed before their delivery's result and what readers did.
    const bySubscriber = new Map<number, string[]>();
    for (const id of receiver.order) {
      const e = receiver.unique.get(id)!;
      const sid = Number(e.data.subscriberId);
      bySubscriber.set(sid, [...(bySubscriber.get(sid) ?? []), e.type]);
      expect(e.data).toHaveProperty('email');
    }
    const rank = (t: string) => ['subscriber.created', 'subscriber.confirmed', 'delivery.sent', 'delivery.failed', 'bounce'].indexOf(t);
    for (const [sid, types] of bySubscriber) {
      const ranked = types.map(rank).filter((r) => r >= 0);
      expect(ranked, `subscriber ${sid}: ${types.join(' → ')}`).toEqual([...ranked].sort((a, b) => a - b));
      // Each subscriber's events arrived in the order of their ids (the outbox order).
    }
    for (const ids of groupIds(receiver)) expect(ids).toEqual([...ids].sort((a, b) => a - b));

    // The failure view after recovery: the endpoint is healthy, its past failures are listed.
    const healed = (await (await api(`/webhooks/${endpoint.id}/failures?limit=5`)).json()) as { endpoint: { health: { consecutiveFailures: number; delivered: number } }; failures: unknown[] };
    expect(healed.endpoint.health.consecutiveFailures).toBe(0);
    expect(healed.endpoint.health.delivered).toBeGreaterThanOrEqual(total);
    expect(healed.failures).toHaveLength(5);
    // Removed, it receives nothing more.
    expect((await api(`/webhooks/${endpoint.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(((await (await api('/webhooks')).json()) as { webhooks: unknown[] }).webhooks).toEqual([]);
  }, 120_000);
});

/** Per subscriber, the numeric event ids in the order they first arrived. */
function groupIds(receiver: Receiver): number[][] {
  const groups = new Map<number, number[]>();
  for (const id of receiver.order) {
    const sid = Number(receiver.unique.get(id)!.data.subscriberId);
    groups.set(sid, [...(groups.get(sid) ?? []), Number(id.slice(4))]);
  }
  return [...groups.values()];
}
