import { describe, expect, it } from 'vitest';
import { recordFailed, recordSent, recordSmtpLatency } from '../src/metrics';
import { opsServerPerSuite } from './helpers';
import { ADMIN_TOKEN } from './ops-seed';

const suite = opsServerPerSuite();

const scrape = async () => {
  const res = await fetch(suite.server.url('/metrics'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : undefined;
};

describe('/metrics', () => {
  it('exposes send counters, SMTP latency, queue depths, HTTP latency and process metrics', async () => {
    recordSent('primary', 3);
    recordFailed('primary', 'recipient');
    recordSmtpLatency('primary', 0.042);
    await suite.stack.services.queues.deliver.add('deliver', { deliveryId: 1 }, { jobId: 'd1', delay: 60_000 });
    await fetch(suite.server.url('/api/lists'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

    const text = await scrape();
    expect(value(text, 'tidings_messages_sent_total{route="primary"}')).toBe(3);
    expect(value(text, 'tidings_messages_failed_total{route="primary",reason="recipient"}')).toBe(1);
    expect(value(text, 'tidings_smtp_latency_seconds_bucket{le="0.05",route="primary"}')).toBe(1);
    expect(value(text, 'tidings_queue_jobs{queue="deliver",state="delayed"}')).toBe(1);
    expect(value(text, 'tidings_queue_jobs{queue="fanout",state="waiting"}')).toBe(0);
    expect(value(text, 'tidings_http_request_duration_seconds_count{method="GET",route="/api/lists",status="200"}')).toBe(1);
    expect(text).toMatch(/^tidings_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^tidings_nodejs_eventloop_lag_seconds /m);
    // Route patterns, never raw paths with tokens in them.
    await fetch(suite.server.url('/o/some-token-value.gif'));
    expect(await scrape()).toContain('route="/o/:token"');
  });

  it('counts events ingested from bounce webhooks by type and source', async () => {
    const before = value(await scrape(), 'tidings_events_ingested_total{type="bounce",source="dsn"}') ?? 0;
    const { applyBounceReports } = await import('../src/bounces/apply');
    await applyBounceReports(suite.server.services, [{ source: 'dsn', kind: 'hard', email: 'nobody@example.com', status: '5.1.1', eventId: 'm1' }]);
    const text = await scrape();
    expect(value(text, 'tidings_events_ingested_total{type="bounce",source="dsn"}')).toBe(before + 1);
    expect(value(text, 'tidings_suppressions_total{reason="hard_bounce"}')).toBeGreaterThanOrEqual(1);
  });
});

describe('Bull Board and the operator app', () => {
  const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}` });

  it('keeps Bull Board behind ADMIN_TOKEN (basic auth for browsers, or bearer) or an owner\'s session, and the app behind a login', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
      const res = await fetch(suite.server.url(path));
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect((await fetch(suite.server.url(path), { headers: basic('wrong-token-wrong-token') })).status).toBe(401);
    }
    const board = await fetch(suite.server.url('/admin/queues'), { headers: basic(ADMIN_TOKEN) });
    expect(board.status).toBe(200);
    expect(await board.text()).toMatch(/<div id="root">/);
    const queues = await fetch(suite.server.url('/admin/queues/api/queues'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(((await queues.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort()).toEqual(['deliver', 'fanout']);
    const page = await fetch(suite.server.url('/admin'), { headers: basic(ADMIN_TOKEN), redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login?next=%2Fadmin');
  });
});
