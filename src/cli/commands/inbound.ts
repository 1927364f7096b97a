import { onShutdownSignal } from '../../app/runtime';
import { startMetricsListener } from '../../http/metrics-listener';
import { startInbound } from '../../bounces/inbound-runner';
import { createPool } from '../../db/pool';
import { inboundMessageRaw, listInboundMessages, type InboundOutcome } from '../../db/inbound-messages';
import { TidingsError } from '../../errors';
import { Links } from '../../security/links';
import { TokenCodec } from '../../security/tokens';
import { commandContext, output, withPool } from '../context';

/** The bounce mailbox: inbound SMTP for BOUNCE_DOMAIN and/or IMAP polling of BOUNCE_MAILBOX, until SIGTERM. */
export async function inboundCommand(): Promise<void> {
  const ctx = commandContext({ loud: true });
  const pool = createPool(ctx.config.databaseUrl, 4);
  const links = new Links(ctx.config.publicUrl, new TokenCodec(ctx.config.secretKey));
  const running = await startInbound({ config: ctx.config, log: ctx.log, pool, links });
  // Bounces and suppressions are counted in this process: METRICS_PORT lets Prometheus scrape them here.
  const metrics = await startMetricsListener(ctx.config, ctx.log);
  onShutdownSignal(ctx.log, async () => {
    await running.close();
    await pool.end();
    await metrics?.close();
  });
}

/** What reached the bounce mailbox, newest first; `--raw <id>` prints one message as it arrived. */
export async function inboundMessagesCommand(opts: { outcome?: InboundOutcome; limit: string; raw?: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withPool(ctx, async (pool) => {
    if (opts.raw !== undefined) {
      const raw = /^\d+$/.test(opts.raw) ? await inboundMessageRaw(pool, Number(opts.raw)) : undefined;
      if (!raw) throw new TidingsError('NOT_FOUND', `inbound message '${opts.raw}' does not exist (or is older than INBOUND_KEEP_HOURS)`);
      process.stdout.write(raw);
      return;
    }
    const rows = await listInboundMessages(pool, { outcome: opts.outcome, limit: Number(opts.limit) || 50 });
    const lines = rows.map((r) => `${String(r.id).padStart(6)}  ${r.receivedAt.toISOString().slice(0, 19)}  ${r.channel.padEnd(4)}  ${r.outcome.padEnd(12)}  ${r.type.padEnd(10)}  ${r.note ?? ''}`);
    // An empty answer said nothing at all: say why there is nothing (kept INBOUND_KEEP_HOURS, from `tidings inbound`).
    if (!lines.length) lines.push(`no messages${opts.outcome ? ` with outcome ${opts.outcome}` : ''} in the bounce mailbox (tidings inbound keeps them INBOUND_KEEP_HOURS)`);
    output(ctx, { messages: rows }, lines);
  });
}
