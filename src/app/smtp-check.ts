import nodemailer from 'nodemailer';
import type { Config } from '../config';
import { parseSmtpRoutes } from '../mail/mailer';

export interface RouteHealth {
  name: string;
  ok: boolean;
  /** The server's answer or the connection error, in its own words. */
  detail: string;
  checkedAt: string;
  ms: number;
}

/**
 * Connects to each SMTP route (greeting, EHLO, STARTTLS and AUTH as configured, then QUIT) without sending
 * anything: what "test connection" in the app shows. Unset SMTP_URL means the embedded capture server.
 */
export async function checkSmtpRoutes(config: Config): Promise<RouteHealth[]> {
  if (!config.smtpUrl) return [{ name: 'capture (development)', ok: true, detail: 'SMTP_URL is unset: messages are filed under OUTBOX_DIR by the embedded capture server', checkedAt: new Date().toISOString(), ms: 0 }];
  return Promise.all(
    parseSmtpRoutes(config.smtpUrl, 1).map(async (route) => {
      const started = Date.now();
      const transport = nodemailer.createTransport({ url: route.url, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 5000 } as never);
      try {
        await transport.verify();
        return { name: route.name, ok: true, detail: 'connected and greeted', checkedAt: new Date().toISOString(), ms: Date.now() - started };
      } catch (err) {
        return { name: route.name, ok: false, detail: (err as Error).message, checkedAt: new Date().toISOString(), ms: Date.now() - started };
      } finally {
        transport.close();
      }
    }),
  );
}

const SECRET_VARIABLE = /KEY|TOKEN|PASSWORD|SECRET/;

/** The effective configuration as variables, with secrets and URL passwords hidden. */
export function visibleConfig(env: NodeJS.ProcessEnv, config: Config): Array<{ name: string; value: string; secret: boolean }> {
  const shown: Record<string, string | undefined> = {
    NODE_ENV: config.env,
    PUBLIC_URL: config.publicUrl,
    ASSET_BASE_URL: config.assetBaseUrl,
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    SMTP_URL: config.smtpUrl,
    SMTP_POOL_SIZE: String(config.smtpPoolSize),
    MESSAGE_ENCODING: config.messageEncoding,
    MAIL_FROM: config.mailFrom.name ? `${config.mailFrom.name} <${config.mailFrom.address}>` : config.mailFrom.address,
    QUEUE_PREFIX: config.queuePrefix,
    WORKER_CONCURRENCY: String(config.workerConcurrency),
    SEND_RATE: config.sendRate === undefined ? undefined : String(config.sendRate),
    BOUNCE_DOMAIN: config.bounceDomain,
    LIST_UNSUBSCRIBE_MAILTO: config.listUnsubscribeMailto,
    DKIM_DOMAIN: config.dkim?.domain,
    DKIM_SELECTOR: config.dkim?.selector,
    TRUST_PROXY: config.trustProxy === false ? undefined : String(config.trustProxy),
    SECRET_KEY: config.usingDevelopmentSecret ? '(unset: the development key)' : 'set',
    ADMIN_TOKEN: config.adminToken ? 'set' : undefined,
    DKIM_PRIVATE_KEY: config.dkim ? 'set' : undefined,
  };
  for (const name of Object.keys(env)) if (/^(POSTMARK|SENDGRID|MAILGUN|SNS|SES)_/.test(name)) shown[name] = SECRET_VARIABLE.test(name) ? 'set' : env[name];
  return Object.entries(shown).map(([name, value]) => ({
    name,
    value: value === undefined ? '' : hideUrlPassword(value),
    secret: SECRET_VARIABLE.test(name),
  }));
}

function hideUrlPassword(value: string): string {
  return value.replace(/(\/\/[^:/@\s]*:)[^@/\s]+@/g, '$1***@');
}
