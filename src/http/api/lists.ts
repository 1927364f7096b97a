import { z } from 'zod';
import { createList, deleteList, getListBySlug, getListWithCounts, listListsWithCounts, updateList } from '../../db/lists';
import { LANGUAGES } from '../../i18n/languages';
import { exportList } from '../../imports/export';
import { changeIssueDefaults, readIssueDefaults } from '../../issues/list-issue-defaults';
import { route } from './route';
import * as s from './schemas';

const bySlug = z.object({ slug: s.slug });
const settings = {
  doubleOptIn: z.boolean().optional(),
  publicArchive: z.boolean().optional().meta({ description: 'its sent issues are in the public archive (default true)' }),
  language: z.enum(LANGUAGES).optional().meta({ description: "the readers' language: pages and the emails' fixed strings", example: 'zh-CN' }),
  fromName: z.string().max(200).optional().meta({ description: "the From name of its emails; '' for MAIL_FROM's", example: 'ML UTD 周刊' }),
  fromAddress: z.string().max(254).optional().meta({ description: "the From address (and envelope sender); '' for MAIL_FROM's", example: 'weekly@example.com' }),
};

const issueDefaults = z.object({ template: z.string().nullable(), postalAddress: z.string().nullable(), defaultName: z.string().nullable() }).meta({ id: 'ListIssueDefaults' });

export const listRoutes = [
  route({
    method: 'get', path: '/lists', tag: 'lists', summary: 'All lists with subscription counts',
    response: z.object({ lists: z.array(s.list) }),
    uses: ['pool'],
    handler: async ({ services }) => ({ lists: await listListsWithCounts(services.pool) }),
  }),
  route({
    method: 'post', path: '/lists', tag: 'lists', summary: 'Create a list', status: 201,
    body: z.object({ slug: s.slug, name: z.string().min(1).max(200), ...settings }),
    response: s.list,
    uses: ['pool'],
    handler: async ({ services, body }) => {
      await createList(services.pool, body);
      return getListWithCounts(services.pool, body.slug);
    },
  }),
  route({
    method: 'get', path: '/lists/:slug', tag: 'lists', summary: 'One list with subscription counts',
    params: bySlug, response: s.list,
    uses: ['pool'],
    handler: async ({ services, params }) => getListWithCounts(services.pool, params.slug),
  }),
  route({
    method: 'patch', path: '/lists/:slug', tag: 'lists', summary: 'Change a list: name, double opt-in, public archive, language, From name and address',
    params: bySlug,
    body: z.object({ name: z.string().min(1).max(200).optional(), ...settings }),
    response: s.list,
    uses: ['pool'],
    handler: async ({ services, params, body }) => {
      await updateList(services.pool, params.slug, body);
      return getListWithCounts(services.pool, params.slug);
    },
  }),
  route({
    method: 'get', path: '/lists/:slug/issue-defaults', tag: 'lists',
    summary: "What an issue written for the list may leave out: its template set, the postal address of its footer, the name greeting subscribers without one (null: config's)",
    params: bySlug, response: issueDefaults,
    uses: ['pool'],
    handler: async ({ services, params }) => readIssueDefaults(services.pool, params.slug),
  }),
  route({
    method: 'put', path: '/lists/:slug/issue-defaults', tag: 'lists', summary: "Change a list's issue defaults ('' clears one; one not given stays)",
    params: bySlug,
    body: z.object({
      template: z.string().max(100).optional().meta({ description: 'a template set (GET /api/templates)', example: 'letter' }),
      postalAddress: z.string().max(500).optional().meta({ description: 'the postal address the footer of every email must carry (CAN-SPAM)', example: '1 Main St, Springfield' }),
      defaultName: z.string().max(200).optional().meta({ description: 'the name the greeting uses for subscribers without one', example: 'reader' }),
    }),
    response: issueDefaults,
    uses: ['pool'],
    handler: async ({ services, params, body }) => {
      await changeIssueDefaults(services.pool, params.slug, body);
      return readIssueDefaults(services.pool, params.slug);
    },
  }),
  route({
    method: 'delete', path: '/lists/:slug', tag: 'lists', summary: 'Delete a list that was never sent to (its subscriptions go with it)',
    params: bySlug,
    uses: ['pool'],
    handler: async ({ services, params }) => {
      await deleteList(services.pool, params.slug);
      return undefined;
    },
  }),
  route({
    method: 'get', path: '/lists/:slug/export', tag: 'subscribers', summary: "Stream a list's subscribers as CSV or JSON lines",
    params: bySlug,
    query: z.object({ format: z.enum(['csv', 'jsonl']).default('csv'), status: z.enum(['confirmed', 'unconfirmed', 'unsubscribed']).optional() }),
    produces: 'text/csv',
    uses: ['pool'],
    handler: async ({ services, params, query, res }) => {
      const list = await getListBySlug(services.pool, params.slug);
      res.status(200).set({
        'Content-Type': query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        'Content-Disposition': `attachment; filename="${list.slug}.${query.format}"`,
      });
      const stream = exportList(services.pool, list.id, query.format, { status: query.status });
      await new Promise<void>((resolve, reject) => {
        stream.on('error', reject);
        res.on('close', resolve);
        stream.pipe(res);
      });
      return undefined;
    },
  }),
];
