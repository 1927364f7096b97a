import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../log';

const IN_WORDS =
  'Warning: SECRET_KEY is not set, so Tidings uses its built-in development key. Anyone who knows it can forge\n' +
  'unsubscribe, confirmation and tracking links. That is fine for trying Tidings on this machine; before real\n' +
  'subscribers see a link, set SECRET_KEY to 32 or more random characters (e.g. `openssl rand -base64 48`).\n';

const BANNER =
  '\n!!! ============================================================================================== !!!\n' +
  IN_WORDS.replace(/^/gm, '!!! ').trimEnd() +
  '\n!!! ============================================================================================== !!!\n\n';

/**
 * The terminal session a command runs in: the session id from /proc (the login shell or terminal that
 * started it), so every command typed into one terminal shares it. Elsewhere, the parent process.
 */
export function terminalSession(): string {
  try {
    // Field 6 of /proc/self/stat; the command name (field 2) may hold spaces, so count after its ')'.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3];
  } catch {
    return String(process.ppid);
  }
}

/** Where the "already warned in this session" mark lives: the temp dir, one file per user and session. */
export function warnedMarker(session = terminalSession()): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return path.join(tmpdir(), `tidings-secret-warned-${uid}-${session}`);
}

/**
 * The development SECRET_KEY warning. `serve` and `worker` are loud every time (a banner on stderr and a
 * `config.development_secret` log line for log collectors): they are what would face real readers. Every
 * other command says it once per terminal session, in words, and then keeps quiet.
 */
export function warnAboutDevelopmentSecret(
  config: Pick<Config, 'usingDevelopmentSecret'>,
  log: Logger,
  options: { loud: boolean; stderr?: NodeJS.WritableStream; marker?: string },
): void {
  if (!config.usingDevelopmentSecret) return;
  const stderr = options.stderr ?? process.stderr;
  if (options.loud) {
    stderr.write(BANNER);
    log.warn({ event: 'config.development_secret' }, 'SECRET_KEY is not set: using the fixed development key; anyone can forge links');
    return;
  }
  const marker = options.marker ?? warnedMarker();
  try {
    // 'wx' fails when the mark exists: only the first command of the session writes it and warns.
    writeFileSync(marker, new Date().toISOString() + '\n', { flag: 'wx' });
  } catch {
    return;
  }
  stderr.write(IN_WORDS);
}
