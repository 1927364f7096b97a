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
    const { total, ...byStatus } = counts;
    output(ctx, { id: send.id, state: send.status, reason: send.statusReason, expected: send.total, total, ...byStatus }, [
      `send ${send.id}: ${send.status}${send.statusReason ? ` (${send.statusReason})` : ''}`,
      ...Object.entries(byStatus).map(([status, n]) => `  ${status.padEnd(11)} ${String(n).padStart(9)}`),
      `  ${'total'.padEnd(11)} ${String(total).padStart(9)}`,
    ]);
  });
}
