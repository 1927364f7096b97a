import { countDeliveries, getSend } from '../../db/sends';
import { TidingsError } from '../../errors';
import { startSend } from '../../send/start-send';
import { commandContext, output, withServices } from '../context';
import { waitForSend } from '../progress';

export async function sendCommand(issueRef: string, opts: { list: string; wait?: boolean; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async (services) => {
    const started = Date.now();
    const { send, issue, list } = await startSend(services, issueRef, opts.list);
    if (!opts.wait) {
      output(ctx, { id: send.id, issue: issue.slug, list: list.slug, status: send.status }, [
        `send ${send.id} created: ${issue.slug} → ${list.slug}. Workers (tidings worker) send it; follow it with: tidings status ${send.id}`,
      ]);
      return;
    }
    const outcome = await waitForSend(services, send.id, { bar: !ctx.json && Boolean(process.stderr.isTTY), startedAt: started });
    output(ctx, { id: send.id, status: outcome.send.status, ...outcome.counts, seconds: outcome.seconds }, [
      `send ${send.id} ${outcome.send.status}: ${outcome.counts.sent} sent, ${outcome.counts.failed} failed in ${outcome.seconds.toFixed(1)} s`,
    ]);
  });
}

export async function statusCommand(sendRef: string, opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const sendId = Number(sendRef);
  if (!/^\d+$/.test(sendRef)) throw new TidingsError('INVALID_INPUT', `send id must be a number, got '${sendRef}'`);
  await withServices(ctx, async ({ pool }) => {
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
