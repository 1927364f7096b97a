import { exitCodeOf, isTidingsError } from '../errors';

// Kept apart from context.ts: main.ts needs it for every command, `--help` included, and must not load the
// services (PostgreSQL, Redis, BullMQ) to print a message.

/** Prints an error so that it says what to fix; returns its exit code from the catalogue (src/errors.ts). */
export function reportError(err: unknown, json: boolean): number {
  const known = isTidingsError(err);
  const message = known ? err.message : err instanceof Error ? err.message : String(err);
  const code = known ? err.code : 'INTERNAL';
  process.stderr.write(`error: ${message}\n`);
  if (!known && err instanceof Error && err.stack && process.env.LOG_LEVEL === 'debug') process.stderr.write(err.stack + '\n');
  if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
  return exitCodeOf(err);
}
