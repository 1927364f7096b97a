import { createServer, type Server } from 'node:http';
import type { Config } from '../config';
import type { Logger } from '../log';
import { collectProcessMetrics, registry } from '../metrics';

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

/**
 * GET /metrics on METRICS_PORT, for processes that have no HTTP server of their own (`tidings worker`,
 * `tidings inbound`): the deliver worker counts sent and failed messages and times SMTP replies, the inbound
 * mailbox counts bounces and suppressions, each in its own process, and only that process can report them.
 *
 * Why a listener per process rather than counters read from PostgreSQL when `serve` is scraped: the SMTP
 * latency histogram and the failure reasons per route exist nowhere but in the process that talked to the SMTP
 * server, and its process metrics (memory, event loop lag) are the worker's, not the web server's. Prometheus's
 * model is one target per process; it adds up any number of workers itself (`sum(rate(...))`), and a
 * restarted worker's counters starting again at 0 is a counter reset it already handles. Reading PostgreSQL on
 * each scrape would cost a query over the deliveries table for every scrape and could give totals only.
 *
 * Returns undefined when METRICS_PORT is unset: two workers on one machine must not fight over a port by default.
 */
export async function startMetricsListener(config: Pick<Config, 'metrics'>, log: Logger): Promise<MetricsListener | undefined> {
  const { port, host } = config.metrics;
  if (port === undefined) return undefined;
  collectProcessMetrics();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found: this port answers GET /metrics only\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text),
      (err) => {
        log.error({ event: 'metrics.failed', err }, 'could not collect metrics');
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('could not collect metrics\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`METRICS_PORT ${port} is already in use: stop the other process or set another METRICS_PORT`) : err),
    );
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  log.info({ event: 'metrics.listening', port: actual, host }, `metrics on http://${host}:${actual}/metrics`);
  return {
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
