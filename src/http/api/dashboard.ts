import { z } from 'zod';
import { checkSmtpRoutes, visibleConfig } from '../../app/smtp-check';
import { reputation, subscriptionsPerDay, totals } from '../../db/dashboard';
import { deliveriesByDomain } from '../../db/send-domains';
import { readRouteHealth } from '../../queue/route-health';
import { dkimTxtRecord, parseDkimPrivateKey } from '../../security/dkim-keys';
import { route } from './route';

/** Gmail's and Yahoo's bulk-sender rules (2024): complaints must stay under 0.3 % (aim for 0.1 %); bounces are watched from about 2 %. */
export const THRESHOLDS = { complaintMax: 0.3, complaintTarget: 0.1, bounceMax: 2 } as const;

let routeCache: { at: number; value: Awaited<ReturnType<typeof checkSmtpRoutes>> } | undefined;

export const dashboardRoutes = [
  route({
    method: 'get', path: '/dashboard', tag: 'dashboard', summary: 'Subscribers over time, bounce and complaint rates of the last 30 days, queue depth',
    uses: ['pool', 'queues'],
    handler: async ({ services }) => {
      const [days, rep, total, deliver, fanout] = await Promise.all([
        subscriptionsPerDay(services.pool, 30),
        reputation(services.pool, 30),
        totals(services.pool),
        services.queues.deliver.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'),
        services.queues.fanout.getJobCounts('waiting', 'active', 'delayed'),
      ]);
      const rate = (n: number) => (rep.sent > 0 ? Math.round((n / rep.sent) * 10_000) / 100 : 0);
      return {
        totals: total,
        days,
        reputation: { ...rep, bounceRate: rate(rep.bounces), complaintRate: rate(rep.complaints), thresholds: THRESHOLDS },
        queues: { deliver, fanout },
      };
    },
  }),
  route({
    method: 'get', path: '/smtp/routes', tag: 'settings', summary: 'Connect to every SMTP route now and say whether it answers (cached 30 s unless fresh=1)',
    query: z.object({ fresh: z.enum(['0', '1']).default('0') }),
    uses: ['config'],
    handler: async ({ services, query }) => {
      if (query.fresh === '1' || !routeCache || Date.now() - routeCache.at > 30_000) routeCache = { at: Date.now(), value: await checkSmtpRoutes(services.config) };
      return { routes: routeCache.value };
    },
  }),
  route({
    method: 'get', path: '/smtp/breakers', tag: 'dashboard',
    summary: "The SMTP routes' circuit breakers as the running workers report them (closed: in rotation; open: out after connection failures; half-open: being tried again)",
    uses: ['config', 'redis'],
    handler: async ({ services }) => readRouteHealth(services.redis, services.config.queuePrefix),
  }),
  route({
    method: 'get', path: '/settings', tag: 'settings', summary: 'The effective configuration (secrets hidden) and the DNS records to publish', role: 'owner',
    uses: ['config'],
    handler: async ({ services }) => {
      const { config } = services;
      const dkim = config.dkim
        ? { name: `${config.dkim.selector}._domainkey.${config.dkim.domain}`, type: 'TXT', value: dkimTxtRecord(parseDkimPrivateKey(config.dkim.privateKey)) }
        : null;
      return {
        config: visibleConfig(process.env, config),
        dkim,
        bounceDomain: config.bounceDomain ?? null,
        tracking: 'per list (Lists → a list → tracking)',
      };
    },
  }),
];

export const sendDomainRoutes = [
  route({
    method: 'get', path: '/sends/:id/domains', tag: 'statistics', summary: "A send's results by recipient domain (the 20 largest)",
    params: z.object({ id: z.coerce.number().int().positive() }),
    uses: ['pool'],
    handler: async ({ services, params }) => ({ domains: await deliveriesByDomain(services.pool, params.id) }),
  }),
];
