import { randomBytes } from 'node:crypto';
import type { Pool } from '../db/pool';
import { createWebhookEndpoint, deleteWebhookEndpoint, listWebhookEndpoints, listWebhookFailures } from '../db/webhooks';
import { NotFoundError, TidingsError } from '../errors';
import { isWebhookEventType, WEBHOOK_EVENT_TYPES } from './event-types';
import { webhookSecret } from './signature';

/** Registering, listing and removing endpoints: the one home of their rules, for the API and the CLI. */

export async function addWebhookEndpoint(
  deps: { pool: Pool; config: { secretKey: string } },
  input: { url: string; events: string[]; description?: string },
) {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new TidingsError('INVALID_INPUT', `url: '${input.url}' is not a URL (write it as https://example.com/hooks/tidings)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TidingsError('INVALID_INPUT', `url: must start with https:// or http://, got '${input.url}'`);
  const events = input.events.map((e) => e.trim()).filter(Boolean);
  const unknown = events.filter((e) => e !== '*' && !isWebhookEventType(e));
  if (unknown.length) throw new TidingsError('INVALID_INPUT', `events: '${unknown[0]}' is not an event; choose from ${WEBHOOK_EVENT_TYPES.join(', ')} (or * for all)`);
  if (events.length === 0) throw new TidingsError('INVALID_INPUT', `events: name at least one of ${WEBHOOK_EVENT_TYPES.join(', ')} (or * for all)`);
  const chosen = events.includes('*') ? [...WEBHOOK_EVENT_TYPES] : [...new Set(events)];
  const endpoint = await createWebhookEndpoint(deps.pool, { url: url.toString(), events: chosen, description: input.description ?? '', secretSalt: randomBytes(16).toString('base64url') });
  const { secretSalt, ...shown } = endpoint;
  return { ...shown, secret: webhookSecret(deps.config.secretKey, endpoint.id, secretSalt) };
}

export async function webhookEndpoints(pool: Pool) {
  return (await listWebhookEndpoints(pool)).map(({ secretSalt: _, ...endpoint }) => endpoint);
}

export async function removeWebhookEndpoint(pool: Pool, id: number): Promise<void> {
  if (!(await deleteWebhookEndpoint(pool, id))) throw new NotFoundError('webhook endpoint', id);
}

/** The failure view of one endpoint: its health and its most recent failed attempts. */
export async function webhookEndpointFailures(pool: Pool, id: number, limit: number) {
  const endpoint = (await webhookEndpoints(pool)).find((e) => e.id === id);
  if (!endpoint) throw new NotFoundError('webhook endpoint', id);
  return { endpoint, failures: await listWebhookFailures(pool, id, limit) };
}
