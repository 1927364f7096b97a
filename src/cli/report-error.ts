import { isTidingsError } from '../errors';

// Kept apart from context.ts: main.ts needs it for every command, `--help` included, and must not load the
// services (PostgreSQL, Redis, BullMQ) to print a message.

/** Prints an error so that it says what to fix; exit code 1 (2 for configuration problems). */
export function reportError(err: unknown, json: boolean): number {
  const known = isTidingsError(err);
  const message = known ? err.message : err instanceof Error ? err.message : String(err);
  const code = known ? err.code : 'UNEXPECTED';
  process.stderr.write(`error: ${message}\n`);
  if (!known && err instanceof Error && err.stack && process.env.LOG_LEVEL === 'debug') process.stderr.write(err.stack + '\n');
  if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
  return code === 'CONFIG_INVALID' ? 2 : 1;
}
