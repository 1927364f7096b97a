import { TidingsError } from '../../errors';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/event-types';
import { addWebhookEndpoint, removeWebhookEndpoint, webhookEndpointFailures, webhookEndpoints } from '../../webhooks/endpoints';
import { commandContext, output, withServices } from '../context';

const at = (d: Date | null) => (d ? d.toISOString().replace(/\.\d+Z$/, 'Z') : 'never');

function endpointId(ref: string): number {
  if (!/^\d+$/.test(ref)) throw new TidingsError('INVALID_INPUT', `webhook id must be a number (see tidings webhook ls), got '${ref}'`);
  return Number(ref);
}

/** `tidings webhook add <url> --events a,b`: prints the endpoint's id and signing secret. */
export async function webhookAddCommand(url: string, opts: { events: string; description?: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async (services) => {
    const endpoint = await addWebhookEndpoint(services, { url, events: opts.events.split(','), description: opts.description });
    output(ctx, endpoint, [
      `webhook ${endpoint.id}: ${endpoint.url}`,
      `  events: ${endpoint.events.join(', ')}`,
      `  signing secret: ${endpoint.secret}`,
      '  each POST carries Tidings-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>',
    ]);
  });
}

export async function webhookLsCommand(opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool }) => {
    const endpoints = await webhookEndpoints(pool);
    output(ctx, { webhooks: endpoints }, endpoints.length === 0
      ? [`no webhook endpoints (tidings webhook add <url> --events ${WEBHOOK_EVENT_TYPES.slice(0, 2).join(',')})`]
      : endpoints.flatMap((e) => [
          `${e.id}  ${e.url}${e.description ? `  (${e.description})` : ''}`,
          `    events ${e.events.join(', ')}`,
          `    delivered ${e.health.delivered}, waiting ${e.health.pending}, failed attempts ${e.health.failedAttempts} (${e.health.consecutiveFailures} in a row), last success ${at(e.health.lastSuccessAt)}${e.health.lastError ? `, last error ${at(e.health.lastFailureAt)}: ${e.health.lastError}` : ''}`,
        ]));
  });
}

export async function webhookRmCommand(ref: string, opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const id = endpointId(ref);
  await withServices(ctx, async ({ pool }) => {
    await removeWebhookEndpoint(pool, id);
    output(ctx, { removed: id }, [`webhook ${id} removed`]);
  });
}

export async function webhookFailuresCommand(ref: string, opts: { limit: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const id = endpointId(ref);
  await withServices(ctx, async ({ pool }) => {
    const view = await webhookEndpointFailures(pool, id, Number(opts.limit) || 20);
    output(ctx, view, [
      `webhook ${id}: ${view.endpoint.url} — ${view.endpoint.health.consecutiveFailures} failures in a row, ${view.endpoint.health.pending} events waiting`,
      ...view.failures.map((f) => `  ${at(f.createdAt)}  evt_${f.eventId} ${f.eventType}  attempt ${f.attempt}${f.gaveUp ? ' (given up)' : ''}  ${f.error}`),
    ]);
  });
}
