import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics, one registry per process. Defining metrics connects to nothing; queue depths are read
 * from the queues registered with `watchQueues` only when /metrics is scraped.
 *
 * The deliver worker feeds the send metrics through `recordSent`, `recordFailed` and `recordSmtpLatency`;
 * the send rate is `rate(tidings_messages_sent_total[1m])` in PromQL.
 */
export const registry = new Registry();
let defaultsCollected = false;

/** Node process metrics (CPU, memory, event loop lag, GC), once per process. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: registry, prefix: 'tidings_' });
}

const sent = new Counter({
  name: 'tidings_messages_sent_total',
  help: 'Messages accepted by the SMTP server, by SMTP route',
  labelNames: ['route'] as const,
  registers: [registry],
});

const failed = new Counter({
  name: 'tidings_messages_failed_total',
  help: 'Messages refused or not sent, by SMTP route and reason (recipient, sender, exhausted, temporary)',
  labelNames: ['route', 'reason'] as const,
  registers: [registry],
});

const smtpLatency = new Histogram({
  name: 'tidings_smtp_latency_seconds',
  help: 'Time from handing a message to the SMTP transport to its reply, by SMTP route',
  labelNames: ['route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

const eventsIngested = new Counter({
  name: 'tidings_events_ingested_total',
  help: 'Events recorded (open, click, unsubscribe, bounce, complaint), by type and source',
  labelNames: ['type', 'source'] as const,
  registers: [registry],
});

const suppressions = new Counter({
  name: 'tidings_suppressions_total',
  help: 'Addresses added to the suppression list, by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

const httpDuration = new Histogram({
  name: 'tidings_http_request_duration_seconds',
  help: 'HTTP request latency by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

const watchedQueues = new Set<Queue>();
new Gauge({
  name: 'tidings_queue_jobs',
  help: 'Jobs in each queue by state (waiting, active, delayed, failed, prioritized)',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const queue of watchedQueues) {
      try {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
        for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n);
      } catch {
        // A queue whose connection was closed (its services shut down) is no longer reported.
        watchedQueues.delete(queue);
      }
    }
  },
});

/** Reports these queues' depths on each scrape; the returned function stops it (on shutdown). */
export function watchQueues(queues: Queue[]): () => void {
  for (const queue of queues) watchedQueues.add(queue);
  return () => {
    for (const queue of queues) watchedQueues.delete(queue);
  };
}

export function recordSent(route: string, count = 1): void {
  sent.inc({ route }, count);
}

export function recordFailed(route: string, reason: string, count = 1): void {
  failed.inc({ route, reason }, count);
}

export function recordSmtpLatency(route: string, seconds: number): void {
  smtpLatency.observe({ route }, seconds);
}

export function recordEventIngested(type: string, source: string, count = 1): void {
  eventsIngested.inc({ type, source }, count);
}

export function recordSuppression(reason: string): void {
  suppressions.inc({ reason });
}

export function recordHttpRequest(method: string, route: string, status: number, seconds: number): void {
  httpDuration.observe({ method, route, status: String(status) }, seconds);
}
