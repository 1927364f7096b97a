import dotenv from 'dotenv';
import type { Services } from '../app/services';
import { loadConfig, type Config } from '../config';
import { createPool, type Pool } from '../db/pool';
import { createLogger, type Logger } from '../log';
import { warnAboutDevelopmentSecret } from './secret-warning';

export interface CommandContext {
  config: Config;
  log: Logger;
  json: boolean;
}

let dotenvLoaded = false;

/**
 * Reads .env (when present) and the environment once, and builds the logger. `loud`: a long-running
 * process that faces readers (serve, worker) repeats the SECRET_KEY warning at every start.
 */
export function commandContext(options: { json?: boolean; quiet?: boolean; loud?: boolean }): CommandContext {
  if (!dotenvLoaded) {
    dotenv.config({ quiet: true });
    dotenvLoaded = true;
  }
  const config = loadConfig();
  // Commands print results on stdout; logs go to stderr, pretty in a terminal, JSON otherwise.
  const level = options.quiet && !process.env.LOG_LEVEL ? 'warn' : config.logLevel;
  const log = createLogger({ level, pretty: Boolean(process.stderr.isTTY) && config.env !== 'production' });
  warnAboutDevelopmentSecret(config, log, { loud: Boolean(options.loud) });
  return { config, log, json: Boolean(options.json) };
}

/** Runs a command with services that are closed afterwards, whatever happens. */
export async function withServices<T>(ctx: CommandContext, work: (services: Services) => Promise<T>): Promise<T> {
  // Loaded here, not at the top: BullMQ and ioredis cost a third of a second that `status` does not need.
  const { createServices } = await import('../app/services');
  const services = createServices(ctx.config, ctx.log);
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}

/** With --json, one JSON object as the last line of stdout; otherwise the human-readable lines. */
export function output(ctx: CommandContext, result: Record<string, unknown>, lines: string[]): void {
  if (ctx.json) process.stdout.write(JSON.stringify(result) + '\n');
  else for (const line of lines) process.stdout.write(line + '\n');
}

/** Runs a command that only reads or writes PostgreSQL (status, ls): no Redis, no queues to load. */
export async function withPool<T>(ctx: CommandContext, work: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = createPool(ctx.config.databaseUrl, 2);
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}
