import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { listRecentSends } from '../../db/recent-sends';
import { countDeliveries, getSend } from '../../db/sends';
import { cancelSend, pauseSend, resumeSend, retryFailed, startSend } from '../../send/control';
import { getSendStats } from '../../stats/send-stats';
import { warmupStatus } from '../../send/warmup-status';
import type { Config } from '../../config';
import { route } from './route';
import * as s from './schemas';

const byId = z.object({ id: s.id });

async function sendWithCounts(services: { pool: Pool; config: Pick<Config, 'warmup'> }, id: number) {
  const [send, counts] = await Promise.all([getSend(services.pool, id), countDeliveries(services.pool, id)]);
  // WARMUP: how many of the send's deliveries the routes' daily caps hold back, and until when (null: none).
  return { ...send, counts, warmup: await warmupStatus(services.pool, services.config, send, counts) };
}

export const sendRoutes = [
  route({
    method: 'get', path: '/sends', tag: 'sends', summary: 'Recent sends, newest first, with live delivery counts',
    query: z.object({ limit: s.limit(200, 20), before: z.coerce.number().int().positive().optional() }),
    response: z.object({ sends: z.array(s.send) }),
    uses: ['pool'],
    handler: async ({ services, query }) => ({ sends: await listRecentSends(services.pool, query.limit, query.before) }),
  }),
  route({
    method: 'post', path: '/sends', tag: 'sends',
    summary: 'Send an issue to a list now, or schedule it with `at`; the answer carries preflight\'s `warnings` (errors answer 422 PREFLIGHT_FAILED). A second send of an issue to the same list is refused (409 ALREADY_SENT, naming the earlier send) unless `again`; then subscribers who received it are skipped unless `includePrevious`',
    status: 201,
    body: z.object({
      issue: z.union([z.string().min(1), z.number().int().positive()]).meta({ example: 'ml-utd-32' }),
      list: s.slug,
      segment: z.number().int().positive().optional().meta({ description: 'a segment id: only the list\'s subscribers in the segment receive the send' }),
      at: z.iso.datetime({ offset: true }).optional().meta({ example: '2026-12-01T08:00:00Z' }),
      again: z.boolean().default(false).meta({ description: 'send even though the issue already went (or is going) to this list' }),
      includePrevious: z.boolean().default(false).meta({ description: 'with again: also send to subscribers who received the issue before' }),
    }),
    uses: ['config', 'log', 'pool', 'queues'],
    handler: async ({ services, body }) => {
      const { send, warnings } = await startSend(services, body.issue, body.list, { at: body.at ? new Date(body.at) : undefined, again: body.again, includePrevious: body.includePrevious, segmentId: body.segment });
      // Preflight's warnings (errors answer 422 PREFLIGHT_FAILED), e.g. images readers cannot reach outside production.
      return { ...(await sendWithCounts(services, send.id)), warnings };
    },
  }),
  route({
    method: 'get', path: '/sends/:id', tag: 'sends', summary: 'A send with live delivery counts by status, and (warmup) how many of its deliveries the warm-up holds back and until when',
    params: byId,
    uses: ['config', 'pool'],
    handler: async ({ services, params }) => sendWithCounts(services, params.id),
  }),
  route({
    method: 'post', path: '/sends/:id/pause', tag: 'sends', summary: 'Pause a send (no new message starts until it is resumed)',
    params: byId, body: z.object({ reason: z.string().max(500).optional() }),
    uses: ['config', 'log', 'pool', 'queues'],
    handler: async ({ services, params, body }) => {
      await pauseSend(services, params.id, body.reason);
      return sendWithCounts(services, params.id);
    },
  }),
  route({
    method: 'post', path: '/sends/:id/resume', tag: 'sends', summary: 'Resume a paused send where it stopped',
    params: byId,
    uses: ['config', 'log', 'pool', 'queues'],
    handler: async ({ services, params }) => {
      const { requeued } = await resumeSend(services, params.id);
      return { ...(await sendWithCounts(services, params.id)), requeued };
    },
  }),
  route({
    method: 'post', path: '/sends/:id/cancel', tag: 'sends', summary: 'Cancel a send: deliveries not yet sent become cancelled',
    params: byId,
    uses: ['config', 'log', 'pool', 'queues'],
    handler: async ({ services, params }) => {
      const { cancelledDeliveries } = await cancelSend(services, params.id);
      return { ...(await sendWithCounts(services, params.id)), cancelledDeliveries };
    },
  }),
  route({
    method: 'post', path: '/sends/:id/retry-failed', tag: 'sends', summary: 'Queue again the deliveries that failed for a temporary or sender-side reason',
    params: byId,
    uses: ['config', 'log', 'pool', 'queues'],
    handler: async ({ services, params }) => {
      const { retried } = await retryFailed(services, params.id);
      return { ...(await sendWithCounts(services, params.id)), retried };
    },
  }),
  route({
    method: 'get', path: '/sends/:id/stats', tag: 'statistics', summary: 'Statistics of a send: deliveries, bounces, complaints, unsubscribes, opens, clicks per link, timeline',
    params: byId, response: s.sendStats,
    uses: ['pool'],
    handler: async ({ services, params }) => getSendStats(services.pool, params.id),
  }),
];
