import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import nodemailer from 'nodemailer';
import { freePort, seedSend, serveProcess, stackPerTest, startStack, stopProcess, tidingsProcess, untilAnswering, waitFor, workerProcess } from './helpers';
import { ADMIN_TOKEN, seedSend as seedDeliveries } from './ops-seed';
import { failedDsn } from './report-messages';

// Issue 10 point 4: with `serve` and `worker` as separate processes (docker-compose's services), the send
// counters reach Prometheus from the worker's own METRICS_PORT listener.

/** The sum of a metric's samples (every label set), or undefined when it has none. */
function total(text: string, metric: string): number | undefined {
  const values = text
    .split('\n')
    .filter((line) => line.startsWith(metric + '{') || line.startsWith(metric + ' '))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
  return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
}

describe('metrics in a split deployment (serve and worker processes)', () => {
  const run = stackPerTest();

  it('scrapes the sent count, failures and SMTP latency from the worker process, and queue depths from serve', async () => {
    const stack = (run.stack = await startStack({
      smtp: { reply: (m) => (m.to[0] === 'n3@example.com' ? { code: 550, message: '5.1.1 <n3@example.com>: Recipient address rejected: User unknown' } : undefined) },
    }));
    const { issueId } = await seedSend(stack, 'split', 40);
    const metricsPort = await freePort();
    const worker = workerProcess(stack, { METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1', WORKER_CONCURRENCY: '10' });
    run.children.push(worker);
    // The issue was compiled under the stack's PUBLIC_URL: serve keeps it (a send from other bases is refused).
    const serve = await serveProcess(stack, { ADMIN_TOKEN, PUBLIC_URL: stack.env.PUBLIC_URL });
    run.children.push(serve);
    const workerMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
    await untilAnswering(worker, workerMetrics);

    const started = await fetch(serve.url('/api/sends'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issue: issueId, list: 'split' }),
    });
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: number };
    const done = await waitFor(async () => {
      const send = (await (await fetch(serve.url(`/api/sends/${id}`), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
        status: string;
        counts: { sent?: number; failed?: number };
      };
      return send.status === 'finished' && send;
    }, 120_000);
    expect(done.counts).toMatchObject({ sent: 39, failed: 1 });

    const scraped = await fetch(workerMetrics);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scraped.text();
    expect(total(text, 'tidings_messages_sent_total')).toBe(39);
    expect(total(text, 'tidings_messages_failed_total')).toBe(1);
    expect(text).toMatch(/^tidings_messages_failed_total\{route="[^"]+",reason="recipient"\} 1$/m);
    expect(total(text, 'tidings_smtp_latency_seconds_count')).toBe(40);
    // The worker's own process metrics, not the web server's.
    expect(text).toMatch(/^tidings_process_resident_memory_bytes \d+/m);
    // Queue depths come from serve alone: two targets reporting them would double them in a sum.
    expect(total(text, 'tidings_queue_jobs')).toBeUndefined();
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);

    const served = await (await fetch(serve.url('/metrics'))).text();
    expect(served).toMatch(/^tidings_queue_jobs\{queue="deliver",state="waiting"\} 0$/m);
    // serve sent nothing itself: its counters alone would have said 0, which is what the worker's listener fixes.
    expect(total(served, 'tidings_messages_sent_total')).toBeUndefined();

    expect(await stopProcess(worker)).toBe(0);
    expect(await stopProcess(serve)).toBe(0);
  }, 180_000);

  it('scrapes the bounces and suppressions tidings inbound applied from its own METRICS_PORT', async () => {
    const domain = 'bounces.lifewithdata.test';
    const stack = (run.stack = await startStack({ env: { BOUNCE_DOMAIN: domain } }));
    const { deliveryIds } = await seedDeliveries(stack.services.pool, [{ email: 'gone@example.com', messageId: '<tidings.7.1@lifewithdata.test>' }]);
    const [smtpPort, metricsPort] = [await freePort(), await freePort()];
    const inbound = tidingsProcess(stack, 'inbound', { INBOUND_PORT: String(smtpPort), INBOUND_HOST: '127.0.0.1', METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1' });
    run.children.push(inbound);
    const metrics = `http://127.0.0.1:${metricsPort}/metrics`;
    await untilAnswering(inbound, metrics);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    try {
      const to = stack.services.links.bounceAddress(deliveryIds.get('gone@example.com')!, domain);
      await transport.sendMail({ envelope: { from: '', to }, raw: failedDsn('gone@example.com', '550 5.1.1 <gone@example.com>: User unknown') });
    } finally {
      transport.close();
    }
    const text = await (await fetch(metrics)).text();
    expect(text).toMatch(/^tidings_events_ingested_total\{type="bounce",source="dsn"\} 1$/m);
    expect(text).toMatch(/^tidings_suppressions_total\{reason="hard_bounce"\} 1$/m);
    expect(await stopProcess(inbound)).toBe(0);
  }, 120_000);

  it('says which variable to change when METRICS_PORT is taken', async () => {
    const stack = (run.stack = await startStack());
    const port = await freePort();
    const first = workerProcess(stack, { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' });
    run.children.push(first);
    await untilAnswering(first, `http://127.0.0.1:${port}/metrics`);
    const second = workerProcess(stack, { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' });
    run.children.push(second);
    expect(await new Promise((resolve) => second.once('exit', resolve))).not.toBe(0);
    expect(second.output()).toContain(`METRICS_PORT ${port} is already in use`);
    expect(await stopProcess(first)).toBe(0);
  }, 120_000);
});

describe('the deployment files', () => {
  it('docker-compose gives the worker and inbound services a METRICS_PORT to scrape, and the README documents it', () => {
    const compose = parseYaml(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as {
      services: Record<string, { environment?: Record<string, unknown>; expose?: string[] }>;
    };
    for (const name of ['worker', 'inbound']) {
      const port = String(compose.services[name].environment?.METRICS_PORT);
      expect(port, name).toMatch(/^\d+$/);
      expect(compose.services[name].expose, name).toContain(port);
    }
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('\n## Configuration\n');
    const configuration = readme.slice(start, readme.indexOf('\n## ', start + 1));
    expect(configuration).toMatch(/^\| `METRICS_PORT`, `METRICS_HOST` \|/m);
  });
});
