import { createServices } from '../../app/services';
import { createMailer, onShutdownSignal } from '../../app/runtime';
import { startMetricsListener } from '../../http/metrics-listener';
import { startHttp } from '../../http/server';
import { migrate } from '../../db/migrate';
import { createPool, ensureDatabase } from '../../db/pool';
import { startWorkers } from '../../../workers/index';
import { commandContext, output } from '../context';

/** Creates the database when missing and applies pending migrations. */
export async function migrateCommand(opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext(opts);
  const created = await ensureDatabase(ctx.config.databaseUrl);
  const pool = createPool(ctx.config.databaseUrl, 1);
  try {
    const result = await migrate(pool);
    output(ctx, { databaseCreated: created, applied: result.applied }, [
      ...(created ? ['created the database'] : []),
      result.applied.length ? `applied ${result.applied.join(', ')}` : 'the schema is up to date: nothing to apply',
    ]);
  } finally {
    await pool.end();
  }
}

/** The public HTTP server, until SIGINT/SIGTERM. */
export async function serveCommand(): Promise<void> {
  const ctx = commandContext({ loud: true });
  const services = createServices(ctx.config, ctx.log);
  const http = await startHttp(services, ctx.config.port);
  const metrics = await startMetricsListener(ctx.config, ctx.log);
  onShutdownSignal(ctx.log, async () => {
    await http.close();
    await services.close();
    await metrics?.close();
  });
}

/** The fan-out and deliver workers, until SIGINT/SIGTERM (which lets jobs in flight finish). */
export async function workerCommand(opts: { concurrency?: string }): Promise<void> {
  const ctx = commandContext({ loud: true });
  const services = createServices(ctx.config, ctx.log);
  const { mailer, description } = await createMailer(ctx.config, ctx.log);
  const concurrency = opts.concurrency ? Number(opts.concurrency) : ctx.config.workerConcurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency must be a positive integer, got '${opts.concurrency}'`);
  const workers = await startWorkers(services, mailer, { concurrency });
  ctx.log.info({ event: 'worker.smtp', smtp: description }, 'sending through ' + description);
  // The send counters and SMTP latency live in this process: METRICS_PORT lets Prometheus scrape them here.
  const metrics = await startMetricsListener(ctx.config, ctx.log);
  onShutdownSignal(ctx.log, async () => {
    await workers.close();
    await services.close();
    await metrics?.close();
  });
}
