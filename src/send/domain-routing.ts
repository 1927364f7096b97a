import { deliveryDomains } from '../db/deliveries';
import type { Pool } from '../db/pool';
import type { DeliveryRouter } from '../queue/queues';
import { groupOf, groupQueueName, type DomainLimits } from './domain-limits';

/**
 * DOMAIN_LIMITS routing: each named group's deliveries wait on a queue of their own, with its own BullMQ
 * limiter, so a slow or deferring domain never holds up the others (one FIFO queue would: its head would be
 * a backlog of gmail.com). The domains of a page of deliveries are read in one query.
 */
export function domainRouting(pool: Pool, limits: DomainLimits): { queueNames: string[]; route: DeliveryRouter } {
  return {
    queueNames: limits.groups.map(groupQueueName),
    async route(ids) {
      const domains = await deliveryDomains(pool, ids);
      return new Map([...domains].map(([id, domain]) => [id, groupQueueName(groupOf(limits, domain))]));
    },
  };
}
