import type { Pool } from './pool';
import type { SendStatus } from './states';

/**
 * The queries behind per-send statistics. Events are read from their rollups (send_event_counts and
 * send_event_buckets, kept by a statement-level trigger on events), so a send with a million deliveries and
 * hundreds of thousands of events costs a few rows; deliveries are counted on their (send_id, status) index.
 */
export interface EventCountRow {
  type: string;
  machine: boolean;
  /** '' for all events of the type; the link id of clicks, the bounce kind of bounces. */
  detail: string;
  total: number;
  /** Deliveries with at least one such event. */
  unique: number;
}

export async function sendEventCounts(pool: Pool, sendId: number): Promise<EventCountRow[]> {
  const { rows } = await pool.query<EventCountRow>(
    `SELECT type, machine, detail, total::int AS total, uniq::int AS "unique" FROM send_event_counts WHERE send_id = $1`,
    [sendId],
  );
  return rows;
}

/** Clicks on one link: `total` and `unique` are human clicks, `machine` the suspected scanner clicks. */
export interface LinkClicksRow {
  linkId: number;
  url: string | null;
  total: number;
  unique: number;
  machine: number;
}

export async function issueLinkUrls(pool: Pool, sendId: number): Promise<Map<number, string>> {
  const { rows } = await pool.query<{ linkId: number; url: string }>(
    `SELECT link_id AS "linkId", url FROM issue_links WHERE issue_id = (SELECT issue_id FROM sends WHERE id = $1)`,
    [sendId],
  );
  return new Map(rows.map((r) => [r.linkId, r.url]));
}

export interface TimelineRow {
  at: Date;
  opens: number;
  machineOpens: number;
  clicks: number;
  machineClicks: number;
}

/** Opens and clicks per time bucket (`bucket` is an interval such as '1 hour', a multiple of 5 minutes). */
export async function eventTimeline(pool: Pool, sendId: number, bucket: string): Promise<TimelineRow[]> {
  const { rows } = await pool.query<TimelineRow>(
    `SELECT date_bin($2::interval, at, '2000-01-01') AS at,
            coalesce(sum(n) FILTER (WHERE type = 'open' AND NOT machine), 0)::int AS opens,
            coalesce(sum(n) FILTER (WHERE type = 'open' AND machine), 0)::int AS "machineOpens",
            coalesce(sum(n) FILTER (WHERE type = 'click' AND NOT machine), 0)::int AS clicks,
            coalesce(sum(n) FILTER (WHERE type = 'click' AND machine), 0)::int AS "machineClicks"
     FROM send_event_buckets WHERE send_id = $1
     GROUP BY 1 ORDER BY 1`,
    [sendId, bucket],
  );
  return rows;
}

/** The delivery counts stored for an ended send, when the send has not changed since they were counted. */
export async function storedDeliveryCounts(pool: Pool, sendId: number, sendUpdatedAt: Date): Promise<Record<string, number> | undefined> {
  const { rows } = await pool.query<{ counts: Record<string, number> }>(
    'SELECT counts FROM send_delivery_counts WHERE send_id = $1 AND send_updated_at = $2',
    [sendId, sendUpdatedAt],
  );
  return rows[0]?.counts;
}

export async function storeDeliveryCounts(pool: Pool, sendId: number, sendUpdatedAt: Date, counts: Record<string, number>): Promise<void> {
  await pool.query(
    `INSERT INTO send_delivery_counts (send_id, send_updated_at, counts) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (send_id) DO UPDATE SET send_updated_at = EXCLUDED.send_updated_at, counts = EXCLUDED.counts`,
    [sendId, sendUpdatedAt, JSON.stringify(counts)],
  );
}

export interface SendHeader {
  id: number;
  status: SendStatus;
  updatedAt: Date;
  issueId: number;
  issueSlug: string;
  subject: string;
  listId: number;
  listSlug: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export async function findSendHeader(pool: Pool, sendId: number): Promise<SendHeader | undefined> {
  const { rows } = await pool.query<SendHeader>(
    `SELECT s.id, s.status, i.id AS "issueId", i.slug AS "issueSlug", i.subject, l.id AS "listId", l.slug AS "listSlug",
            s.created_at AS "createdAt", s.started_at AS "startedAt", s.finished_at AS "finishedAt", s.updated_at AS "updatedAt"
     FROM sends s JOIN issues i ON i.id = s.issue_id JOIN lists l ON l.id = s.list_id
     WHERE s.id = $1`,
    [sendId],
  );
  return rows[0];
}
