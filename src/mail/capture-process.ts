import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TidingsError } from '../errors';

const BIN = fileURLToPath(new URL('../../bin/tidings.mjs', import.meta.url));

export interface CaptureProcess {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Runs the capture SMTP server (`tidings capture`) in a child process, so that receiving and filing the
 * messages uses another core than the workers sending them. The child exits when its parent goes away.
 */
export async function startCaptureProcess(outboxDir: string): Promise<CaptureProcess> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'capture', '--port', '0', '--outbox', path.resolve(outboxDir), '--json'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new TidingsError('SMTP_TEMPORARY', 'the capture SMTP server did not start within 20 s')), 20_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /"port":(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new TidingsError('SMTP_TEMPORARY', `the capture SMTP server exited (code ${code}) before it was ready`));
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
