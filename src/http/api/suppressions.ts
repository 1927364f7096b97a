import { z } from 'zod';
import { listSenderAlerts } from '../../db/bounces';
import { findSuppression, listSuppressions, removeSuppression, suppress } from '../../db/suppressions';
import { recordSuppression } from '../../metrics';
import { ApiError, route } from './route';
import * as s from './schemas';

const reason = z.enum(['hard_bounce', 'soft_bounce', 'complaint', 'manual']);

export const suppressionRoutes = [
  route({
    method: 'get', path: '/suppressions', tag: 'suppressions', summary: 'The global suppression list, newest first (keyset on id)',
    query: z.object({ reason: reason.optional(), search: z.string().min(2).optional(), before: z.coerce.number().int().positive().optional(), limit: s.limit(1000, 100) }),
    response: z.object({ suppressions: z.array(s.suppression), next: z.number().nullable() }),
    uses: ['pool'],
    handler: async ({ services, query }) => {
      const rows = await listSuppressions(services.pool, { limit: query.limit, beforeId: query.before, reason: query.reason, search: query.search });
      return { suppressions: rows, next: rows.length === query.limit ? rows[rows.length - 1].id : null };
    },
  }),
  route({
    method: 'post', path: '/suppressions', tag: 'suppressions', summary: 'Suppress an address by hand (every send skips it)', status: 201,
    body: z.object({ email: s.emailAddress, note: z.string().max(500).optional() }),
    response: s.suppression,
    uses: ['pool'],
    handler: async ({ services, body }) => {
      if (await suppress(services.pool, { email: body.email, reason: 'manual', source: 'api', details: body.note ? { note: body.note } : {} })) recordSuppression('manual');
      return findSuppression(services.pool, body.email);
    },
  }),
  route({
    method: 'get', path: '/suppressions/:email', tag: 'suppressions', summary: 'Whether an address is suppressed, and why',
    params: z.object({ email: z.string().min(3).max(254) }), response: s.suppression,
    uses: ['pool'],
    handler: async ({ services, params }) => {
      const found = await findSuppression(services.pool, params.email);
      if (!found) throw new ApiError('NOT_FOUND', `'${params.email}' is not on the suppression list`);
      return found;
    },
  }),
  route({
    method: 'delete', path: '/suppressions/:email', tag: 'suppressions', summary: 'Remove an address from the suppression list (its subscriber becomes active)',
    params: z.object({ email: z.string().min(3).max(254) }),
    uses: ['log', 'pool'],
    handler: async ({ services, params }) => {
      if (!(await removeSuppression(services.pool, params.email))) throw new ApiError('NOT_FOUND', `'${params.email}' is not on the suppression list`);
      services.log.info({ event: 'suppression.removed', email: params.email }, 'suppression removed');
      return undefined;
    },
  }),
  route({
    method: 'get', path: '/alerts', tag: 'suppressions', summary: 'Sender problems (5.7.x policy and authentication rejections): nobody was suppressed, an operator should look',
    query: z.object({ limit: s.limit(500, 50) }),
    uses: ['pool'],
    handler: async ({ services, query }) => ({ alerts: await listSenderAlerts(services.pool, query.limit) }),
  }),
];
