import path from 'node:path';
import { CaptureServer } from '../../mail/capture-server';
import { commandContext, output } from '../context';

/**
 * `tidings capture`: an SMTP server on loopback that accepts every message and files it under
 * <outbox>/<send-id>/<n>.eml — a local stand-in for a real SMTP server, for development and the demo.
 */
export async function captureCommand(opts: { port: string; outbox?: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const outboxDir = path.resolve(opts.outbox ?? ctx.config.outboxDir);
  const server = new CaptureServer({ outboxDir, port: Number(opts.port) });
  const port = await server.listen();
  output(ctx, { port, url: server.url, outbox: outboxDir }, [`capturing mail on ${server.url} into ${outboxDir} (Ctrl-C stops)`]);
  const stop = () => server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Started by another process (the demo, a worker): stop with it.
  if (!process.stdin.isTTY) process.stdin.on('end', stop).resume();
}
