import type { Config } from '../config';
import type { Logger } from '../log';
import type { Pool } from '../db/pool';
import {
  deleteDefaultEventsBefore,
  dropEventPartition,
  ensureEventPartitions,
  expiredEventPartitions,
  retirableDeliveryPartitions,
  retireDeliveryPartition,
  withRetentionLock,
  type RetiredPartition,
} from '../db/partitions';

/** Events partitions exist this many months ahead, so an insert never needs the default partition. */
export const EVENT_MONTHS_AHEAD = 3;
const DAY_MS = 86_400_000;

export interface RetentionReport {
  /** False when another process was running retention at the same moment (nothing was done here). */
  ran: boolean;
  /** Events partitions created ahead (or for rows found in the default partition). */
  createdEventPartitions: string[];
  /** Deliveries partitions dropped, their counts kept in send_retired_deliveries. */
  retiredDeliveryPartitions: RetiredPartition[];
  droppedEventPartitions: string[];
  /** Events outside every month partition (the default one) older than EVENT_RETENTION_DAYS, deleted. */
  deletedDefaultEvents: number;
}

/**
 * One retention pass: events partitions ahead, then DELIVERY_RETENTION_DAYS (deliveries of sends that ended
 * longer ago, rolled up per send and status, then dropped a partition at a time), then EVENT_RETENTION_DAYS
 * (events partitions past the age; their counts already live in the per-send rollups, kept at insert). Run by
 * `tidings retention run` and daily by the worker; two at once are one.
 */
export async function runRetention(deps: { pool: Pool; config: Pick<Config, 'retention'>; log: Logger }, now = new Date()): Promise<RetentionReport> {
  const { pool, config, log } = deps;
  const report = await withRetentionLock(pool, async () => {
    const out: RetentionReport = { ran: true, createdEventPartitions: [], retiredDeliveryPartitions: [], droppedEventPartitions: [], deletedDefaultEvents: 0 };
    const eventCutoff = config.retention.eventDays === undefined ? null : new Date(now.getTime() - config.retention.eventDays * DAY_MS);
    out.createdEventPartitions = await ensureEventPartitions(pool, now, EVENT_MONTHS_AHEAD, eventCutoff);
    if (config.retention.deliveryDays !== undefined) {
      const cutoff = new Date(now.getTime() - config.retention.deliveryDays * DAY_MS);
      for (const partition of await retirableDeliveryPartitions(pool, cutoff)) {
        try {
          const retired = await retireDeliveryPartition(pool, partition, cutoff);
          if (retired) out.retiredDeliveryPartitions.push(retired);
        } catch (err) {
          // A lock that did not come in time (or a deadlock with a rare write to old rows): nothing changed,
          // the next run tries again.
          log.warn({ event: 'retention.partition_kept', partition: partition.name, err }, 'could not drop a deliveries partition this time');
        }
      }
    }
    if (eventCutoff) {
      for (const partition of await expiredEventPartitions(pool, eventCutoff)) {
        try {
          await dropEventPartition(pool, partition.name);
          out.droppedEventPartitions.push(partition.name);
        } catch (err) {
          log.warn({ event: 'retention.partition_kept', partition: partition.name, err }, 'could not drop an events partition this time');
        }
      }
      out.deletedDefaultEvents = await deleteDefaultEventsBefore(pool, eventCutoff);
    }
    return out;
  });
  const result = report ?? { ran: false, createdEventPartitions: [], retiredDeliveryPartitions: [], droppedEventPartitions: [], deletedDefaultEvents: 0 };
  if (result.ran) log.info({ event: 'retention.ran', ...result, retiredDeliveryPartitions: result.retiredDeliveryPartitions.map((p) => p.name) }, 'retention pass done');
  return result;
}
