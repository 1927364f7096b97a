import { retryingSummary } from '../../db/deliveries';
import { countDeliveries, getSend } from '../../db/sends';
import { TidingsError } from '../../errors';
import { warmupStatus } from '../../send/warmup-status';
import { commandContext, output, withPool } from '../context';

// Its own module: `tidings status` loads PostgreSQL's client and nothing of the sending machinery.

export async function statusCommand(sendRef: string, opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const sendId = Number(sendRef);
  if (!/^\d+$/.test(sendRef)) throw new TidingsError('INVALID_INPUT', `send id must be a number, got '${sendRef}'`);
  await withPool(ctx, async (pool) => {
    const send = await getSend(pool, sendId);
    const counts = await countDeliveries(pool, sendId);
    const { nextAttemptAt } = await retryingSummary(pool, sendId);
    const warmup = await warmupStatus(pool, ctx.config, send, counts);
    const { total, ...byStatus } = counts;
    const at = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');
    // Retries can wait for hours: say when the next one is due, so a send that looks stuck is not.
    const due = (status: string) => (status === 'retrying' && nextAttemptAt ? `  next attempt ${at(nextAttemptAt)}` : '');
    output(ctx, { id: send.id, state: send.status, reason: send.statusReason, expected: send.total, total, ...byStatus, nextAttemptAt, warmup }, [
      `send ${send.id}: ${send.status}${send.statusReason ? ` (${send.statusReason})` : ''}`,
      ...Object.entries(byStatus).map(([status, n]) => `  ${status.padEnd(11)} ${String(n).padStart(9)}${due(status)}`),
      `  ${'total'.padEnd(11)} ${String(total).padStart(9)}`,
      ...(warmup
        ? [
            `  held by the warm-up until ${at(warmup.heldUntil)}: ${warmup.held} deliveries wait for the next day's cap`,
            ...warmup.routes.map((r) => `    ${r.route}: day ${r.day}, cap ${r.cap} reached`),
          ]
        : []),
    ]);
  });
}
