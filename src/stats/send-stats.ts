import { NotFoundError } from '../errors';
import type { Pool } from '../db/pool';
import { countDeliveries, type DeliveryCounts } from '../db/sends';
import { ENDED_SEND_STATES, type SendStatus } from '../db/states';
import { eventTimeline, findSendHeader, issueLinkUrls, sendEventCounts, storeDeliveryCounts, storedDeliveryCounts, type EventCountRow, type LinkClicksRow, type TimelineRow } from '../db/stats';

export interface CountPair {
  total: number;
  unique: number;
}

export interface SendStats {
  send: { id: number; status: string; issue: { id: number; slug: string; subject: string }; list: { id: number; slug: string }; createdAt: Date; startedAt: Date | null; finishedAt: Date | null };
  deliveries: DeliveryCounts;
  bounced: { total: number; hard: number; soft: number; policy: number };
  complaints: number;
  unsubscribes: number;
  /** Human opens; opens by image proxies and privacy features (Apple MPP, Google proxy) are in `machine`. */
  opens: CountPair & { machine: CountPair };
  clicks: CountPair & { machine: CountPair; links: LinkClicksRow[] };
  /** Per cent of sent messages, one decimal. */
  rates: { open: number; click: number; bounce: number; complaint: number; unsubscribe: number };
  timeline: { bucket: string; points: TimelineRow[] };
}

/** A bucket that gives a readable chart: minutes for the first hours, hours for days, days beyond. */
export function timelineBucket(from: Date, to: Date): string {
  const hours = (to.getTime() - from.getTime()) / 3_600_000;
  if (hours <= 3) return '5 minutes';
  if (hours <= 72) return '1 hour';
  if (hours <= 24 * 30) return '6 hours';
  return '1 day';
}

export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0;
}

function pair(rows: EventCountRow[], type: string, machine: boolean, detail = ''): CountPair {
  const row = rows.find((r) => r.type === type && r.machine === machine && r.detail === detail);
  return { total: row?.total ?? 0, unique: row?.unique ?? 0 };
}

/** Clicks per link from the rollup rows whose detail is a link id, most clicked first. */
export function linkClicks(rows: EventCountRow[], urls: Map<number, string>): LinkClicksRow[] {
  const links = new Map<number, LinkClicksRow>();
  for (const row of rows) {
    if (row.type !== 'click' || row.detail === '') continue;
    const linkId = Number(row.detail);
    const link = links.get(linkId) ?? { linkId, url: urls.get(linkId) ?? null, total: 0, unique: 0, machine: 0 };
    if (row.machine) link.machine += row.total;
    else {
      link.total += row.total;
      link.unique += row.unique;
    }
    links.set(linkId, link);
  }
  return [...links.values()].sort((a, b) => b.total - a.total || a.linkId - b.linkId);
}

/**
 * Deliveries by status: the live rows plus those retention removed (countDeliveries adds the counts
 * DELIVERY_RETENTION_DAYS rolled into send_retired_deliveries when it dropped their partition). Those of an ended send are counted once and then read back
 * (a million-row count costs hundreds of milliseconds on a busy machine); a running send is counted live on
 * its index.
 */
async function deliveryCounts(pool: Pool, header: { id: number; status: SendStatus; updatedAt: Date }): Promise<DeliveryCounts> {
  if (ENDED_SEND_STATES.includes(header.status)) {
    const stored = await storedDeliveryCounts(pool, header.id, header.updatedAt);
    if (stored) return stored as DeliveryCounts;
  }
  const counts = await countDeliveries(pool, header.id);
  if (ENDED_SEND_STATES.includes(header.status) && counts.queued + counts.sending + counts.retrying === 0) {
    await storeDeliveryCounts(pool, header.id, header.updatedAt, counts);
  }
  return counts;
}

/**
 * Everything known about one send, from PostgreSQL: deliveries by status, bounces by kind, complaints,
 * unsubscribes, opens and clicks (human and machine apart), clicks per link and a timeline. The queries run
 * in parallel, each on an index that starts with the send id.
 */
export async function getSendStats(pool: Pool, sendId: number, now = new Date()): Promise<SendStats> {
  if (!Number.isSafeInteger(sendId) || sendId <= 0) throw new NotFoundError('send', String(sendId));
  const header = await findSendHeader(pool, sendId);
  if (!header) throw new NotFoundError('send', sendId);
  const origin = header.startedAt ?? header.createdAt;
  const end = header.finishedAt && header.finishedAt > now ? header.finishedAt : now;
  const bucket = timelineBucket(origin, end);
  const [deliveries, events, urls, points] = await Promise.all([
    deliveryCounts(pool, header),
    sendEventCounts(pool, sendId),
    issueLinkUrls(pool, sendId),
    eventTimeline(pool, sendId, bucket),
  ]);
  const bouncedOf = (kind: string) => pair(events, 'bounce', false, kind).unique;
  const bounced = { total: pair(events, 'bounce', false).unique, hard: bouncedOf('hard'), soft: bouncedOf('soft'), policy: bouncedOf('policy') };
  const complaints = pair(events, 'complaint', false).unique;
  const unsubscribes = pair(events, 'unsubscribe', false).unique;
  const opens = { ...pair(events, 'open', false), machine: pair(events, 'open', true) };
  const clicks = { ...pair(events, 'click', false), machine: pair(events, 'click', true), links: linkClicks(events, urls) };
  const sent = deliveries.sent;
  return {
    send: {
      id: header.id,
      status: header.status,
      issue: { id: header.issueId, slug: header.issueSlug, subject: header.subject },
      list: { id: header.listId, slug: header.listSlug },
      createdAt: header.createdAt,
      startedAt: header.startedAt,
      finishedAt: header.finishedAt,
    },
    deliveries,
    bounced,
    complaints,
    unsubscribes,
    opens,
    clicks,
    rates: {
      open: percent(opens.unique, sent),
      click: percent(clicks.unique, sent),
      bounce: percent(bounced.total, sent),
      complaint: percent(complaints, sent),
      unsubscribe: percent(unsubscribes, sent),
    },
    timeline: { bucket, points },
  };
}
