import { retryingSummary } from '../../db/deliveries';
import { countDeliveries, getSend } from '../../db/sends';
import { TidingsError } from '../../errors';
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
    const { total, ...byStatus } = counts;
    // Retries can wait for hours: say when the next one is due, so a send that looks stuck is not.
    const due = (status: string) => (status === 'retrying' && nextAttemptAt ? `  next attempt ${nextAttemptAt.toISOString().replace(/\.\d+Z$/, 'Z')}` : '');
    output(ctx, { id: send.id, state: send.status, reason: send.statusReason, expected: send.total, total, ...byStatus, nextAttemptAt }, [
      `send ${send.id}: ${send.status}${send.statusReason ? ` (${send.statusReason})` : ''}`,
      ...Object.entries(byStatus).map(([status, n]) => `  ${status.padEnd(11)} ${String(n).padStart(9)}${due(status)}`),
      `  ${'total'.padEnd(11)} ${String(total).padStart(9)}`,
    ]);
  });
}
