import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const HARAKA_HOME = path.resolve(import.meta.dirname, '../node_modules/Haraka');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something on the port answers with an SMTP greeting. */
async function greeting(port: number, child: ChildProcess, output: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Haraka exited (${child.exitCode}):\n${output()}`);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('data', (data) => {
        socket.end('QUIT\r\n');
        resolve(data.toString().startsWith('220'));
      });
      socket.once('error', () => resolve(false));
    });
    if (answered) return;
    // Not listening yet: ask again once the process has had a moment (connect refused is immediate).
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface HarakaRelay {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/**
 * A real Haraka (from npm) relaying every message for `domain` to 127.0.0.1:`forwardPort` with its stock
 * settings, among them `data_line_length=992`: a DATA line longer than that gets "\r\n " inserted, as
 * Sendmail does.
 */
export async function startHarakaRelay(domain: string, forwardPort: number): Promise<HarakaRelay> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tidings-haraka-'));
  const config = path.join(dir, 'config');
  // Haraka's own configuration as it ships, then only where to listen, what to accept and where to forward.
  await cp(path.join(HARAKA_HOME, 'config'), config, { recursive: true });
  const port = await freePort();
  await writeFile(path.join(config, 'smtp.ini'), `[main]\nlisten=127.0.0.1:${port}\nnodes=\n`);
  await writeFile(path.join(config, 'plugins'), 'rcpt_to.in_host_list\nqueue/smtp_forward\n');
  await writeFile(path.join(config, 'host_list'), `${domain}\n`);
  await writeFile(path.join(config, 'me'), 'relay.test\n');
  await writeFile(path.join(config, 'smtp_forward.ini'), `host=127.0.0.1\nport=${forwardPort}\nenable_tls=false\n`);
  await writeFile(path.join(config, 'log.ini'), '[main]\nlevel=warn\n');
  const child = spawn(process.execPath, [path.join(HARAKA_HOME, 'bin/haraka'), '-c', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-8000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-8000)));
  await greeting(port, child, () => out);
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
