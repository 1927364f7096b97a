import { TidingsError } from '../../errors';
import { cancelSend, pauseSend, resumeSend, retryFailed, startSend } from '../../send/control';
import { commandContext, output, withServices } from '../context';
import { printWarnings } from '../preflight-warnings';
import { waitForSend } from '../progress';

/** Parses --at: an ISO 8601 time with a time zone; a time in the past means now. */
export function parseSendTime(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (!/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) || Number.isNaN(at.getTime()) || !/(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    throw new TidingsError('INVALID_INPUT', `--at '${value}' is not an ISO 8601 time with a zone, e.g. 2026-12-01T08:00:00Z or 2026-12-01T09:00+01:00`);
  }
  return at;
}

export async function sendCommand(
  issueRef: string,
  opts: { list: string; wait?: boolean; at?: string; again?: boolean; includePrevious?: boolean; json?: boolean },
): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const at = parseSendTime(opts.at);
  if (opts.includePrevious && !opts.again) throw new TidingsError('INVALID_INPUT', '--include-previous only makes sense with --again');
  await withServices(ctx, async (services) => {
    const started = Date.now();
    const { send, issue, list, repeats, warnings } = await startSend(services, issueRef, opts.list, { at, again: opts.again, includePrevious: opts.includePrevious });
    printWarnings(warnings);
    const repeat =
      repeats.length === 0 ? ''
      : opts.includePrevious ? ` It repeats ${repeats.map((s) => `send ${s.id}`).join(', ')}, to everyone again.`
      : ` It repeats ${repeats.map((s) => `send ${s.id}`).join(', ')}: subscribers who received the issue are skipped.`;
    if (!opts.wait) {
      const when = send.status === 'scheduled' ? ` scheduled for ${send.scheduledAt!.toISOString()}` : '';
      output(ctx, { id: send.id, issue: issue.slug, list: list.slug, status: send.status, scheduledAt: send.scheduledAt, repeats: repeats.map((s) => s.id) }, [
        `send ${send.id} created${when}: ${issue.slug} → ${list.slug}.${repeat} Workers (tidings worker) send it; follow it with: tidings status ${send.id}`,
      ]);
      return;
    }
    const outcome = await waitForSend(services, send.id, { bar: !ctx.json && Boolean(process.stderr.isTTY), startedAt: started });
    output(ctx, { id: send.id, status: outcome.send.status, ...outcome.counts, seconds: outcome.seconds }, [
      `send ${send.id} ${outcome.send.status}: ${outcome.counts.sent} sent, ${outcome.counts.failed} failed in ${outcome.seconds.toFixed(1)} s`,
    ]);
  });
}

type ControlAction = 'pause' | 'resume' | 'cancel' | 'retry';

/** `tidings pause|resume|cancel|retry <send>`. */
export async function controlCommand(action: ControlAction, sendRef: string, opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  if (!/^\d+$/.test(sendRef)) throw new TidingsError('INVALID_INPUT', `send id must be a number, got '${sendRef}'`);
  const sendId = Number(sendRef);
  await withServices(ctx, async (services) => {
    if (action === 'pause') {
      const send = await pauseSend(services, sendId);
      output(ctx, { id: send.id, state: send.status }, [`send ${send.id} paused: no new message starts; resume with: tidings resume ${send.id}`]);
    } else if (action === 'resume') {
      const { send, requeued } = await resumeSend(services, sendId);
      output(ctx, { id: send.id, state: send.status, requeued }, [`send ${send.id} ${send.status}: ${requeued} deliveries queued from PostgreSQL`]);
    } else if (action === 'cancel') {
      const { send, cancelledDeliveries } = await cancelSend(services, sendId);
      output(ctx, { id: send.id, state: send.status, cancelled: cancelledDeliveries }, [`send ${send.id} cancelled: ${cancelledDeliveries} deliveries will not be sent`]);
    } else {
      const { send, retried } = await retryFailed(services, sendId);
      output(ctx, { id: send.id, state: send.status, retried }, [`send ${send.id}: ${retried} failed deliveries queued again`]);
    }
  });
}
