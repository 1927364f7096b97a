import { claimDeliveries, recordDeliveryResults, type DeliveryResult } from './deliveries';
import type { Pool } from './pool';
import { markPaused } from './send-control';
import { finishSendsIfDone, updatePolicyStreaks, type PolicyStreakUpdate } from './sends';

/** The deliver processor's store (DeliverStore in workers/deliver.ts) over PostgreSQL: its named queries on one pool. */
export function createDeliverStore(pool: Pool) {
  return {
    claimDeliveries: (ids: number[], lockSeconds: number) => claimDeliveries(pool, ids, lockSeconds),
    recordDeliveryResults: (results: DeliveryResult[]) => recordDeliveryResults(pool, results),
    updatePolicyStreaks: (updates: PolicyStreakUpdate[], limit: number) => updatePolicyStreaks(pool, updates, limit),
    markPaused: (sendId: number, reason: string) => markPaused(pool, sendId, reason),
    finishSendsIfDone: (sendIds: number[]) => finishSendsIfDone(pool, sendIds),
  };
}
