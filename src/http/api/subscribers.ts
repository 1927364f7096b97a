import { z } from 'zod';
import { getListBySlug } from '../../db/lists';
import { NotFoundError } from '../../errors';
import { inTransaction } from '../../db/pool';
import { deleteSubscriber, getSubscriber, searchSubscribers, updateSubscriber } from '../../db/subscriber-admin';
import { upsertSubscriberRows, upsertSubscribers } from '../../db/subscribers';
import { findSuppression } from '../../db/suppressions';
import { ApiError, route } from './route';
import * as s from './schemas';

const byId = z.object({ id: s.id });
const attributes = z.record(z.string().min(1).max(100), z.unknown());

export const subscriberRoutes = [
  route({
    method: 'post', path: '/subscribers', tag: 'subscribers', summary: 'Create or update a subscriber (attributes merged) and subscribe them to lists', status: 201,
    body: z.object({
      email: s.emailAddress,
      name: z.string().max(200).default(''),
      attributes: attributes.default({}),
      lists: z.array(z.object({ slug: s.slug, status: s.subscriptionStatus.default('confirmed') })).default([]),
    }),
    response: s.subscriber,
    uses: ['pool'],
    handler: async ({ services, body }) => {
      const lists = await Promise.all(body.lists.map(async (l) => ({ list: await getListBySlug(services.pool, l.slug), status: l.status })));
      const input = [{ email: body.email, name: body.name, attributes: body.attributes }];
      const id = await inTransaction(services.pool, async (client) => {
        if (lists.length === 0) return (await upsertSubscriberRows(client, input))[0];
        let subscriberId = 0;
        for (const l of lists) subscriberId = (await upsertSubscribers(client, l.list.id, input, l.status)).subscriberIds[0];
        return subscriberId;
      });
      return getSubscriber(services.pool, id);
    },
  }),
  route({
    method: 'get', path: '/subscribers', tag: 'subscribers', summary: 'Search subscribers by email (exact or part), attribute or list; keyset pages',
    query: z.object({
      email: z.string().optional(),
      emailContains: z.string().min(2).optional(),
      attribute: z.string().regex(/^[^=]+=.*$/, 'must be key=value').optional().meta({ example: 'city=London' }),
      list: s.slug.optional(),
      after: z.coerce.number().int().min(0).default(0),
      limit: s.limit(1000, 100),
    }),
    response: z.object({ subscribers: z.array(s.subscriber), next: z.number().nullable() }),
    uses: ['pool'],
    handler: async ({ services, query }) => {
      const attribute = query.attribute ? { key: query.attribute.slice(0, query.attribute.indexOf('=')), value: query.attribute.slice(query.attribute.indexOf('=') + 1) } : undefined;
      const rows = await searchSubscribers(services.pool, { ...query, attribute, afterId: query.after });
      return { subscribers: rows, next: rows.length === query.limit ? rows[rows.length - 1].id : null };
    },
  }),
  route({
    method: 'get', path: '/subscribers/:id', tag: 'subscribers', summary: 'One subscriber with their subscriptions',
    params: byId, response: s.subscriber,
    uses: ['pool'],
    handler: async ({ services, params }) => getSubscriber(services.pool, params.id),
  }),
  route({
    method: 'patch', path: '/subscribers/:id', tag: 'subscribers', summary: 'Change name, attributes (merged, or replaced with replaceAttributes) or status (blocked: not mailable)',
    params: byId,
    body: z.object({ name: z.string().max(200).optional(), attributes: attributes.optional(), replaceAttributes: z.boolean().default(false), status: z.enum(['active', 'blocked']).optional() }),
    response: s.subscriber,
    uses: ['pool'],
    handler: async ({ services, params, body }) => {
      if (body.status === 'active') {
        // A suppressed address stays blocked: the suppression list is where that verdict is taken back.
        const { email } = await getSubscriber(services.pool, params.id);
        if (await findSuppression(services.pool, email)) {
          throw new ApiError('SEND_STATE', `${email} is on the suppression list: remove it there (DELETE /api/suppressions/${encodeURIComponent(email)}), which makes the subscriber active`);
        }
      }
      await updateSubscriber(services.pool, params.id, body);
      return getSubscriber(services.pool, params.id);
    },
  }),
  route({
    method: 'delete', path: '/subscribers/:id', tag: 'subscribers', summary: 'Delete a subscriber and their subscriptions',
    params: byId,
    uses: ['pool'],
    handler: async ({ services, params }) => {
      if (!(await deleteSubscriber(services.pool, params.id))) throw new NotFoundError('subscriber', params.id);
      return undefined;
    },
  }),
];
