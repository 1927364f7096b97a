import { z } from 'zod';
import { getListBySlug } from '../../db/lists';
import { getListTracking, setListTracking } from '../../db/lists';
import { bulkSubscribers, browseSubscribers, subscriberActivity, subscriberDataExport, type SubscriberFilter } from '../../db/subscriber-browse';
import { getSubscriber } from '../../db/subscriber-admin';
import { route } from './route';
import * as s from './schemas';

const byId = z.object({ id: s.id });
const filter = z.object({
  q: z.string().trim().max(200).optional(),
  list: s.slug.optional(),
  subscription: z.enum(['confirmed', 'unconfirmed', 'unsubscribed']).optional(),
  state: z.enum(['active', 'blocked']).optional(),
  attribute: z.string().regex(/^[^=]+=.*$/, 'must be key=value').optional(),
});

function toFilter(f: z.infer<typeof filter>): SubscriberFilter {
  const eq = f.attribute?.indexOf('=') ?? -1;
  return {
    q: f.q || undefined,
    list: f.list,
    subscription: f.subscription,
    state: f.state,
    attribute: f.attribute ? { key: f.attribute.slice(0, eq), value: f.attribute.slice(eq + 1) } : undefined,
  };
}

/** The operator app's subscriber tools (listed before /subscribers/:id so their paths win). */
export const subscriberAdminRoutes = [
  route({
    method: 'get', path: '/subscribers/browse', tag: 'subscribers', summary: 'Subscribers matching a search (any part of address or name) and filters, newest first, keyset pages',
    query: filter.extend({ before: z.coerce.number().int().positive().optional(), limit: s.limit(200, 50) }),
    uses: ['pool'],
    handler: async ({ services, query }) => {
      const rows = await browseSubscribers(services.pool, toFilter(query), { before: query.before, limit: query.limit });
      return { subscribers: rows, next: rows.length === query.limit ? rows[rows.length - 1].id : null };
    },
  }),
  route({
    method: 'post', path: '/subscribers/bulk', tag: 'subscribers', summary: 'Block, unblock, (un)subscribe to a list, or delete the given subscribers or every one matching a filter',
    body: z.object({
      ids: z.array(z.number().int().positive()).max(10_000).optional(),
      filter: filter.optional(),
      action: z.enum(['block', 'unblock', 'unsubscribe', 'subscribe', 'delete']),
      list: s.slug.optional(),
    }).refine((b) => b.ids || b.filter, { message: 'give ids or a filter' }).refine((b) => !['unsubscribe', 'subscribe'].includes(b.action) || b.list, { message: 'this action needs a list', path: ['list'] }),
    uses: ['pool'],
    handler: async ({ services, body }) => {
      if (body.list) await getListBySlug(services.pool, body.list);
      const affected = await bulkSubscribers(services.pool, { ids: body.ids, filter: body.filter ? toFilter(body.filter) : undefined }, body.action, body.list);
      return { affected };
    },
  }),
  route({
    method: 'get', path: '/subscribers/:id/activity', tag: 'subscribers', summary: "A subscriber's deliveries (status, SMTP reply, time), events and suppression",
    params: byId,
    uses: ['pool'],
    handler: async ({ services, params }) => {
      await getSubscriber(services.pool, params.id);
      return subscriberActivity(services.pool, params.id);
    },
  }),
  route({
    method: 'get', path: '/subscribers/:id/data', tag: 'subscribers', summary: 'Everything stored about a subscriber, as a JSON download (a GDPR data-access request)',
    params: byId, produces: 'application/json',
    uses: ['pool'],
    handler: async ({ services, params, res }) => {
      const data = await subscriberDataExport(services.pool, params.id);
      res.status(200).set('Content-Disposition', `attachment; filename="subscriber-${params.id}.json"`).type('application/json').send(JSON.stringify(data, null, 2));
      return undefined;
    },
  }),
  route({
    method: 'post', path: '/subscribers/:id/block', tag: 'subscribers', summary: 'Block a subscriber: their address is suppressed and nothing more is sent to it',
    params: byId,
    uses: ['pool'],
    handler: async ({ services, params }) => {
      await bulkSubscribers(services.pool, { ids: [params.id] }, 'block');
      return getSubscriber(services.pool, params.id);
    },
  }),
  route({
    method: 'post', path: '/subscribers/:id/unblock', tag: 'subscribers', summary: 'Unblock a subscriber (their suppression is removed)',
    params: byId,
    uses: ['pool'],
    handler: async ({ services, params }) => {
      await bulkSubscribers(services.pool, { ids: [params.id] }, 'unblock');
      return getSubscriber(services.pool, params.id);
    },
  }),
  route({
    method: 'post', path: '/subscribers/:id/unsubscribe', tag: 'subscribers', summary: 'Unsubscribe a subscriber from one list',
    params: byId, body: z.object({ list: s.slug }),
    uses: ['pool'],
    handler: async ({ services, params, body }) => {
      await getListBySlug(services.pool, body.list);
      await bulkSubscribers(services.pool, { ids: [params.id] }, 'unsubscribe', body.list);
      return getSubscriber(services.pool, params.id);
    },
  }),
  route({
    method: 'get', path: '/lists/:slug/tracking', tag: 'lists', summary: 'Whether messages of a list carry the open pixel and tracked links',
    params: z.object({ slug: s.slug }),
    uses: ['pool'],
    handler: async ({ services, params }) => ({ tracking: await getListTracking(services.pool, (await getListBySlug(services.pool, params.slug)).id) }),
  }),
  route({
    method: 'put', path: '/lists/:slug/tracking', tag: 'lists', summary: 'Switch open and click tracking of a list on or off (sends started afterwards follow it)',
    params: z.object({ slug: s.slug }), body: z.object({ tracking: z.boolean() }),
    uses: ['pool'],
    handler: async ({ services, params, body }) => {
      await setListTracking(services.pool, params.slug, body.tracking);
      return { tracking: body.tracking };
    },
  }),
];
