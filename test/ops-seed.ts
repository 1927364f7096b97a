import { pino } from 'pino';
import { createServices, type Services } from '../src/app/services';
import { startHttp, type HttpServer } from '../src/http/server';
import { loadConfig } from '../src/config';
import type { Pool } from '../src/db/pool';

/**
 * Rows for the operators' tests without running a send: a list, an issue, a send, and one delivery per
 * address with the given Message-ID and status (as the deliver worker would have left them).
 */
export async function seedSend(
  pool: Pool,
  deliveries: Array<{ email: string; messageId?: string; status?: string }>,
  options: { listSlug?: string; issueSlug?: string } = {},
): Promise<{ listId: number; sendId: number; deliveryIds: Map<string, number>; subscriberIds: Map<string, number> }> {
  const listSlug = options.listSlug ?? 'weekly';
  const { rows: lists } = await pool.query<{ id: number }>(
    `INSERT INTO lists (slug, name) VALUES ($1, 'Weekly') ON CONFLICT (slug) DO UPDATE SET name = lists.name RETURNING id`,
    [listSlug],
  );
  const listId = lists[0].id;
  const issueSlug = options.issueSlug ?? `issue-${Math.random().toString(36).slice(2, 8)}`;
  const { rows: issues } = await pool.query<{ id: number }>(
    `INSERT INTO issues (slug, subject, template, source, source_hash, html, text)
     VALUES ($1, 'Subject', 'default', 'x', 'x', '<p>x</p>', 'x') RETURNING id`,
    [issueSlug],
  );
  const { rows: sends } = await pool.query<{ id: number }>(
    `INSERT INTO sends (issue_id, list_id, status) VALUES ($1, $2, 'finished') RETURNING id`,
    [issues[0].id, listId],
  );
  const sendId = sends[0].id;
  const deliveryIds = new Map<string, number>();
  const subscriberIds = new Map<string, number>();
  for (const d of deliveries) {
    const { rows: subs } = await pool.query<{ id: number }>(
      `INSERT INTO subscribers (email) VALUES ($1)
       ON CONFLICT ((lower(email))) DO UPDATE SET updated_at = now() RETURNING id`,
      [d.email],
    );
    const subscriberId = subs[0].id;
    subscriberIds.set(d.email, subscriberId);
    await pool.query(
      `INSERT INTO subscriptions (list_id, subscriber_id, status) VALUES ($1, $2, 'confirmed') ON CONFLICT DO NOTHING`,
      [listId, subscriberId],
    );
    const { rows: dels } = await pool.query<{ id: number }>(
      `INSERT INTO deliveries (send_id, subscriber_id, status, message_id, sent_at)
       VALUES ($1, $2, $3, $4, now()) RETURNING id`,
      [sendId, subscriberId, d.status ?? 'sent', d.messageId ?? null],
    );
    deliveryIds.set(d.email, dels[0].id);
  }
  return { listId, sendId, deliveryIds, subscriberIds };
}


export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/**
 * An HTTP server on the stack's database and queues with operator settings (ADMIN_TOKEN, webhook secrets):
 * startStack's own services have none of these.
 */
export async function startOpsServer(env: Record<string, string>, extra: Record<string, string> = {}): Promise<{
  services: Services;
  http: HttpServer;
  url: (path: string) => string;
  close(): Promise<void>;
}> {
  const services = createServices(loadConfig({ ...env, ADMIN_TOKEN, ...extra }), pino({ level: 'silent' }));
  const http = await startHttp(services, 0);
  return {
    services,
    http,
    url: (p: string) => `http://127.0.0.1:${http.port}${p}`,
    async close() {
      await http.close();
      await services.close();
    },
  };
}
