import type { Logger } from '../log';
import {
  addSenderAlert,
  claimProviderEvent,
  findDeliveryById,
  findDeliveryByMessageId,
  findLatestDeliveryByEmail,
  findSubscriberIdByEmail,
  recordSoftBounce,
  resetSoftBounces,
  unsubscribeFromLists,
  type BouncedDelivery,
} from '../db/bounces';
import { recordEvents } from '../db/events';
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { suppress, type SuppressionReason } from '../db/suppressions';
import { recordEventIngested, recordSuppression } from '../metrics';
import type { Config } from '../config';
import { pauseOnBadSignals } from '../send/signal-check';
import { softStreakSuppresses } from './classify';
import { deliveryIdFromMessageId, type BounceReport, type DeliveryReport } from './report';

export interface AppliedReport {
  email: string;
  kind: BounceReport['kind'];
  /** false when the provider event was applied before (a repeated webhook), or the report is not a bounce. */
  applied: boolean;
  suppressed: boolean;
  deliveryId: number | null;
  /** The send of the matched delivery, when one was matched. */
  sendId: number | null;
}

/**
 * Applies reports one transaction each: the provider event id is claimed first, so a report seen before
 * changes nothing; then the bounce or complaint event is stored against its delivery, and the policy runs
 * (suppress, count a soft bounce, or tell the operator about a sender problem).
 */
export async function applyBounceReports(
  deps: { pool: Pool; log: Logger; config: Pick<Config, 'autoPause'> },
  reports: BounceReport[],
): Promise<AppliedReport[]> {
  const results: AppliedReport[] = [];
  // Sends that got a hard bounce or a complaint: their rates are checked once the batch is applied.
  const signalled = new Set<number>();
  for (const report of reports) {
    const result = await inTransaction(deps.pool, (client) => applyOne(client, deps.log, report));
    if (result.applied && report.kind !== 'ignore') recordEventIngested(eventType(report.kind), report.source);
    if (result.suppressed) recordSuppression(report.kind === 'complaint' ? 'complaint' : `${report.kind}_bounce`);
    if (result.applied && result.sendId !== null && (report.kind === 'hard' || report.kind === 'complaint')) signalled.add(result.sendId);
    results.push(result);
  }
  if (signalled.size) await pauseOnBadSignals(deps, signalled);
  return results;
}

async function applyOne(db: PoolClient, log: Logger, report: BounceReport): Promise<AppliedReport> {
  const email = report.email.trim();
  const base = { email, kind: report.kind, applied: false, suppressed: false, deliveryId: null, sendId: null };
  if (report.kind === 'ignore') return base;
  if (report.eventId && !(await claimProviderEvent(db, report.source, report.eventId))) {
    log.info({ event: 'bounce.duplicate', source: report.source, providerEventId: report.eventId }, 'report already applied');
    return base;
  }
  const delivery = await matchDelivery(db, report);
  const subscriberId = delivery?.subscriberId ?? (await findSubscriberIdByEmail(db, email)) ?? null;
  const at = report.occurredAt ?? new Date();
  const data = {
    kind: report.kind,
    source: report.source,
    ...(report.status ? { status: report.status } : {}),
    ...(report.diagnostic ? { diagnostic: report.diagnostic.slice(0, 1000) } : {}),
    ...(report.eventId ? { providerEventId: report.eventId } : {}),
    ...report.details,
  };
  await recordEvents(db, [{
    type: eventType(report.kind),
    deliveryId: delivery?.deliveryId ?? null,
    subscriberId,
    listId: delivery?.listId ?? null,
    sendId: delivery?.sendId ?? null,
    occurredAt: at,
    data,
  }]);
  const ids = { email, deliveryId: delivery?.deliveryId, sendId: delivery?.sendId, source: report.source, status: report.status };
  const result: AppliedReport = { ...base, applied: true, deliveryId: delivery?.deliveryId ?? null, sendId: delivery?.sendId ?? null };

  const suppressFor = async (reason: SuppressionReason, details: Record<string, unknown>) => {
    result.suppressed = await suppress(db, { email, reason, source: report.source, details });
    if (result.suppressed) log.info({ event: 'suppression.added', reason, ...ids }, 'address suppressed');
  };

  switch (report.kind) {
    case 'hard':
      await suppressFor('hard_bounce', { status: report.status, diagnostic: report.diagnostic?.slice(0, 500), deliveryId: delivery?.deliveryId });
      break;
    case 'complaint':
      await suppressFor('complaint', { deliveryId: delivery?.deliveryId, ...report.details });
      break;
    case 'unsubscribe': {
      // An ARF opt-out: the reader leaves the list the email came from (every list when it cannot be told).
      if (subscriberId === null) break;
      const lists = await unsubscribeFromLists(db, subscriberId, delivery?.listId ?? null);
      log.info({ event: 'subscription.unsubscribed', lists, ...ids }, 'opt-out report: unsubscribed');
      break;
    }
    case 'soft': {
      if (subscriberId === null) break;
      const streak = await recordSoftBounce(db, subscriberId, delivery?.deliveryId ?? null, at);
      log.info({ event: 'bounce.soft', sends: streak.sends, ...ids }, 'soft bounce counted');
      if (softStreakSuppresses(streak)) {
        await suppressFor('soft_bounce', { sends: streak.sends, firstAt: streak.firstAt, lastAt: streak.lastAt, status: report.status });
      }
      break;
    }
    case 'policy':
      await addSenderAlert(db, {
        kind: 'policy_rejection',
        email,
        statusCode: report.status ?? null,
        diagnostic: report.diagnostic?.slice(0, 1000) ?? null,
        source: report.source,
        deliveryId: delivery?.deliveryId ?? null,
        sendId: delivery?.sendId ?? null,
      });
      // Not the subscriber's fault: nobody is suppressed, but an operator must look (DKIM, SPF, reputation).
      log.warn({ event: 'bounce.sender_problem', diagnostic: report.diagnostic, ...ids }, 'a receiver rejected our mail for policy or authentication reasons');
      break;
  }
  return result;
}

function eventType(kind: BounceReport['kind']): 'complaint' | 'unsubscribe' | 'bounce' {
  return kind === 'complaint' || kind === 'unsubscribe' ? kind : 'bounce';
}

async function matchDelivery(db: PoolClient, report: BounceReport): Promise<BouncedDelivery | undefined> {
  if (report.deliveryId !== undefined) {
    const delivery = await findDeliveryById(db, report.deliveryId);
    if (delivery) return delivery;
  }
  const byId = deliveryIdFromMessageId(report.messageId);
  if (byId !== undefined) {
    const delivery = await findDeliveryById(db, byId);
    if (delivery && delivery.email.toLowerCase() === report.email.trim().toLowerCase()) return delivery;
  }
  if (report.messageId) {
    const delivery = await findDeliveryByMessageId(db, report.messageId);
    if (delivery) return delivery;
  }
  return findLatestDeliveryByEmail(db, report.email.trim());
}

/** Successful deliveries reported by a provider end soft-bounce streaks (once per provider event). */
export async function applyDeliveryReports(deps: { pool: Pool }, reports: DeliveryReport[]): Promise<number> {
  let applied = 0;
  for (const report of reports) {
    await inTransaction(deps.pool, async (client) => {
      if (report.eventId && !(await claimProviderEvent(client, report.source, report.eventId))) return;
      await resetSoftBounces(client, report.email);
      applied++;
    });
  }
  return applied;
}
