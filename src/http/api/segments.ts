import { z } from 'zod';
import { countRecipients } from '../../db/deliveries';
import { getIssue } from '../../db/issues';
import { getListBySlug } from '../../db/lists';
import { findEarlierSends } from '../../db/send-history';
import { deleteSegment, getSegment, insertSegment, listSegments, segmentForList, updateSegment } from '../../db/segments';
import { segmentDefinition } from '../../segments/definition';
import { route } from './route';
import * as s from './schemas';

const byId = z.object({ id: s.id });
const body = z.object({ name: z.string().trim().min(1).max(200), list: s.slug.nullable().default(null), definition: segmentDefinition });

async function listIdOf(pool: Parameters<typeof getListBySlug>[0], slug: string | null): Promise<number | null> {
  return slug === null ? null : (await getListBySlug(pool, slug)).id;
}

export const segmentRoutes = [
  route({
    method: 'get', path: '/segments', tag: 'segments', summary: 'Every segment',
    uses: ['pool'],
    handler: async ({ services }) => ({ segments: await listSegments(services.pool) }),
  }),
  route({
    method: 'post', path: '/segments', tag: 'segments', summary: 'Create a segment (conditions combined with all/any)', status: 201, body,
    uses: ['pool'],
    handler: async ({ services, body }) => insertSegment(services.pool, { name: body.name, listId: await listIdOf(services.pool, body.list), definition: body.definition }),
  }),
  route({
    method: 'post', path: '/segments/count', tag: 'segments', summary: 'How many confirmed, active subscribers of a list a definition matches (the live count while editing)',
    role: 'viewer', audit: false,
    body: z.object({ list: s.slug, definition: segmentDefinition }),
    uses: ['pool'],
    handler: async ({ services, body }) => {
      const list = await getListBySlug(services.pool, body.list);
      return { count: await countRecipients(services.pool, list.id, body.definition) };
    },
  }),
  route({
    method: 'get', path: '/segments/:id', tag: 'segments', summary: 'One segment', params: byId,
    uses: ['pool'],
    handler: async ({ services, params }) => getSegment(services.pool, params.id),
  }),
  route({
    method: 'put', path: '/segments/:id', tag: 'segments', summary: 'Replace a segment (sends already started keep the definition they started with)', params: byId, body,
    uses: ['pool'],
    handler: async ({ services, params, body }) => updateSegment(services.pool, params.id, { name: body.name, listId: await listIdOf(services.pool, body.list), definition: body.definition }),
  }),
  route({
    method: 'delete', path: '/segments/:id', tag: 'segments', summary: 'Delete a segment', params: byId,
    uses: ['pool'],
    handler: async ({ services, params }) => {
      await deleteSegment(services.pool, params.id);
      return undefined;
    },
  }),
  route({
    method: 'get', path: '/lists/:slug/recipients', tag: 'segments',
    summary: 'How many a send to this list (and segment) would reach now; with `issue`, also its earlier sends to the list and how many of the recipients received it (a send again skips them unless includePrevious)',
    params: z.object({ slug: s.slug }),
    query: z.object({
      segment: z.coerce.number().int().positive().optional(),
      issue: z.string().max(200).optional().meta({ description: 'an issue id or slug' }),
      includePrevious: z.enum(['true', 'false']).default('false'),
    }),
    response: z.object({
      count: z.number(),
      received: z.number().optional().meta({ description: 'recipients who received the issue from an earlier send (left out of count unless includePrevious)' }),
      earlier: z.array(z.object({ id: z.number(), status: z.string(), sent: z.number(), startedAt: z.string().nullable(), finishedAt: z.string().nullable(), scheduledAt: z.string().nullable() })).optional(),
    }),
    uses: ['pool'],
    handler: async ({ services, params, query }) => {
      const list = await getListBySlug(services.pool, params.slug);
      const segment = query.segment ? (await segmentForList(services.pool, query.segment, list.id)).definition : null;
      if (!query.issue) return { count: await countRecipients(services.pool, list.id, segment) };
      const issue = await getIssue(services.pool, query.issue);
      const earlier = await findEarlierSends(services.pool, issue.id, list.id);
      if (earlier.length === 0) return { count: await countRecipients(services.pool, list.id, segment), received: 0, earlier: [] };
      const { count, received } = await countRecipients(services.pool, list.id, segment, issue.id);
      const iso = (d: Date | null) => (d ? d.toISOString() : null);
      return {
        count: query.includePrevious === 'true' ? count + received : count,
        received,
        earlier: earlier.map((e) => ({ id: e.id, status: e.status, sent: e.sent, startedAt: iso(e.startedAt), finishedAt: iso(e.finishedAt), scheduledAt: iso(e.scheduledAt) })),
      };
    },
  }),
];
