import dotenv from 'dotenv';
import { createServices, warnAboutConfig, type Services } from '../app/services';
import { loadConfig, type Config } from '../config';
import { isTidingsError } from '../errors';
import { createLogger, type Logger } from '../log';

export interface CommandContext {
  config: Config;
  log: Logger;
  json: boolean;
}

let dotenvLoaded = false;

/** Reads .env (when present) and the environment once, and builds the logger. */
export function commandContext(options: { json?: boolean; quiet?: boolean }): CommandContext {
  if (!dotenvLoaded) {
    dotenv.config({ quiet: true });
    dotenvLoaded = true;
  }
  const config = loadConfig();
  // Commands print results on stdout; logs go to stderr, pretty in a terminal, JSON otherwise.
  const level = options.quiet && !process.env.LOG_LEVEL ? 'warn' : config.logLevel;
  const log = createLogger({ level, pretty: Boolean(process.stderr.isTTY) && config.env !== 'production' });
  warnAboutConfig(config, log);
  return { config, log, json: Boolean(options.json) };
}

/** Runs a command with services that are closed afterwards, whatever happens. */
export async function withServices<T>(ctx: CommandContext, work: (services: Services) => Promise<T>): Promise<T> {
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
