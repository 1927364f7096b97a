import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/event-types';
import { addWebhookEndpoint, removeWebhookEndpoint, webhookEndpointFailures, webhookEndpoints } from '../../webhooks/endpoints';
import { route } from './route';
import * as s from './schemas';

const byId = z.object({ id: s.id });

// Webhook endpoints receive subscribers' addresses and carry a signing secret: owners only.
export const webhookRoutes = [
  route({
    method: 'get', path: '/webhooks', tag: 'webhooks', role: 'owner',
    summary: 'Registered webhook endpoints with their health (delivered, failed attempts, failures in a row, last success and error, events waiting)',
    uses: ['pool'],
    handler: async ({ services }) => ({ webhooks: await webhookEndpoints(services.pool) }),
  }),
  route({
    method: 'post', path: '/webhooks', tag: 'webhooks', role: 'owner', status: 201,
    summary: 'Register an endpoint for events; the answer holds its signing secret (Tidings-Signature: t=…,v1=HMAC-SHA256 of "t.body")',
    body: z.object({
      url: z.string().min(1).max(2000).meta({ example: 'https://example.com/hooks/tidings' }),
      events: z.array(z.string()).min(1).meta({ description: `any of ${WEBHOOK_EVENT_TYPES.join(', ')}, or * for all`, example: ['delivery.sent', 'bounce', 'complaint'] }),
      description: z.string().max(500).optional(),
    }),
    uses: ['config', 'pool'],
    handler: async ({ services, body }) => addWebhookEndpoint(services, body),
  }),
  route({
    method: 'delete', path: '/webhooks/:id', tag: 'webhooks', role: 'owner', summary: 'Remove an endpoint (events waiting for it are dropped)',
    params: byId, uses: ['pool'],
    handler: async ({ services, params }) => {
      await removeWebhookEndpoint(services.pool, params.id);
      return { removed: params.id };
    },
  }),
  route({
    method: 'get', path: '/webhooks/:id/failures', tag: 'webhooks', role: 'owner',
    summary: 'An endpoint\'s health and its recent failed attempts (event, attempt, HTTP status or network error, given up or not), newest first',
    params: byId, query: z.object({ limit: s.limit(1000, 100) }), uses: ['pool'],
    handler: async ({ services, params, query }) => webhookEndpointFailures(services.pool, params.id, query.limit),
  }),
];
