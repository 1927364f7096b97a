import { runRetention } from '../../retention/run';
import { commandContext, output, withPool } from '../context';

/** `tidings retention run`: one retention pass now (the worker runs one daily), and what it did. */
export async function retentionRunCommand(opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withPool(ctx, async (pool) => {
    const report = await runRetention({ pool, config: ctx.config, log: ctx.log });
    const { eventDays, deliveryDays } = ctx.config.retention;
    const keep = (days: number | undefined) => (days === undefined ? 'kept for ever (unset)' : `kept ${days} days`);
    output(ctx, { ...report }, report.ran
      ? [
          `events ${keep(eventDays)}, deliveries of ended sends ${keep(deliveryDays)}`,
          `events partitions created: ${report.createdEventPartitions.join(', ') || 'none'}`,
          ...report.retiredDeliveryPartitions.map((p) => `deliveries partition ${p.name} dropped: ${p.deliveries} deliveries of ${p.sends} sends, counts kept per send`),
          `events partitions dropped: ${report.droppedEventPartitions.join(', ') || 'none'}${report.deletedDefaultEvents ? ` (and ${report.deletedDefaultEvents} events outside every month)` : ''}`,
        ]
      : ['another process is running retention right now: nothing done']);
  });
}
