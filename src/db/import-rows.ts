import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from './pool';
import type { SuppressionReason } from './suppressions';

/** One accepted row of an import, as the batch write takes it (the status rules already applied: src/imports/statuses.ts). */
export interface ImportRow {
  email: string;
  name: string;
  attributes: Record<string, unknown>;
  /** The list subscription to write, or null for a deletion request (only the suppression is kept). */
  subscription: 'confirmed' | 'unconfirmed' | 'unsubscribed' | null;
  /** A subscriber who may not be mailed (disabled at the source, or suppressed). */
  blocked: boolean;
  suppression: SuppressionReason | null;
  /** Kept with the suppression: where it came from (service, its status word, file line). */
  details: Record<string, unknown> | null;
  subscribedAt: string | null;
  confirmedAt: string | null;
  unsubscribedAt: string | null;
}

export interface ImportBatchResult {
  /** Subscribers inserted or updated. */
  upserted: number;
  /** Subscriptions newly created on the list. */
  newSubscriptions: number;
  /** Rows per status they ended with on the list (an existing subscription keeps its status unless the row left). */
  statuses: Record<string, number>;
}

/** The staging table a batch is copied into: per connection, emptied at each commit. */
const STAGING = `CREATE TEMP TABLE IF NOT EXISTS import_staging (
  email text NOT NULL, name text NOT NULL, attributes jsonb NOT NULL, subscription text, blocked boolean NOT NULL,
  suppression text, details jsonb, subscribed_at timestamptz, confirmed_at timestamptz, unsubscribed_at timestamptz
) ON COMMIT DELETE ROWS`;

/**
 * The import's batch write: the rows go to the staging table with COPY (no per-row parameters, no JSON
 * document to parse), then one statement merges them:
 * - subscribers upserted (the existing spelling kept, a non-empty name taken, attributes merged; blocked when the
 *   row is disabled or suppressed, never unblocked);
 * - subscriptions: a new one takes the row's status and times; an existing one keeps its status, except that
 *   a row that left (unsubscribed) unsubscribes it: an import never subscribes again someone who left;
 * - suppressions added for bounced, complained, blocklisted and deleted rows (the first verdict stays);
 * - per row, the status it ended with, counted.
 * Runs inside the caller's transaction (the staging table empties at its commit).
 */
export async function importSubscriberBatch(client: PoolClient, listId: number, batch: ImportRow[]): Promise<ImportBatchResult> {
  if (batch.length === 0) return { upserted: 0, newSubscriptions: 0, statuses: {} };
  await client.query(STAGING);
  await copyRows(client, batch);
  const { rows } = await client.query<{ upserted: number; subscribed: number; statuses: Record<string, number> | null }>(
    `WITH input AS (
       -- The stored key (lower(email)) computed once a row, for every join below.
       SELECT DISTINCT ON (lower(email)) lower(email) AS key, * FROM import_staging
     ), kept AS (
       SELECT * FROM input WHERE subscription IS NOT NULL
     ), upserted AS (
       INSERT INTO subscribers (email, name, attributes, status)
       SELECT email, name, attributes, CASE WHEN blocked THEN 'blocked' ELSE 'active' END FROM kept
       ON CONFLICT ((lower(email))) DO UPDATE
         SET name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE subscribers.name END,
             attributes = subscribers.attributes || EXCLUDED.attributes,
             status = CASE WHEN EXCLUDED.status = 'blocked' THEN 'blocked' ELSE subscribers.status END,
             updated_at = now()
       RETURNING id, lower(email) AS key, status
     ), subscribed AS (
       INSERT INTO subscriptions (list_id, subscriber_id, status, created_at, confirmed_at, unsubscribed_at)
       SELECT $1, u.id, k.subscription, coalesce(k.subscribed_at, now()),
         CASE WHEN k.subscription = 'confirmed' THEN coalesce(k.confirmed_at, now()) ELSE k.confirmed_at END,
         CASE WHEN k.subscription = 'unsubscribed' THEN coalesce(k.unsubscribed_at, now()) END
       FROM upserted u JOIN kept k ON k.key = u.key
       ON CONFLICT (list_id, subscriber_id) DO UPDATE
         SET status = 'unsubscribed', unsubscribed_at = EXCLUDED.unsubscribed_at
         WHERE EXCLUDED.status = 'unsubscribed' AND subscriptions.status <> 'unsubscribed'
       RETURNING subscriber_id, (xmax = 0) AS inserted
     ), suppressed AS (
       INSERT INTO suppressions (email, reason, source, details)
       SELECT email, suppression, 'import', coalesce(details, '{}'::jsonb) FROM input WHERE suppression IS NOT NULL
       ON CONFLICT ((lower(email))) DO NOTHING
       RETURNING 1
     ), outcome AS (
       -- Every CTE sees the tables as they were before this statement. A subscription this statement wrote
       -- (new, or unsubscribed by the row) has the row's status; only one it left alone is read back, so a
       -- list's first import does not look up every row it just inserted.
       SELECT CASE
           WHEN i.suppression IS NOT NULL OR EXISTS (SELECT 1 FROM suppressions x WHERE lower(x.email) = i.key) THEN 'suppressed'
           WHEN i.blocked OR u.status = 'blocked' THEN 'disabled'
           WHEN w.subscriber_id IS NOT NULL OR u.id IS NULL OR i.subscription = 'unsubscribed' THEN i.subscription
           ELSE coalesce((SELECT old.status FROM subscriptions old WHERE old.list_id = $1 AND old.subscriber_id = u.id), i.subscription)
         END AS status
       FROM input i
       LEFT JOIN upserted u ON u.key = i.key
       LEFT JOIN subscribed w ON w.subscriber_id = u.id
     )
     SELECT (SELECT count(*) FROM upserted)::int AS upserted,
            (SELECT count(*) FROM subscribed WHERE inserted)::int AS subscribed,
            (SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*)::int AS n FROM outcome GROUP BY status) s) AS statuses`,
    [listId],
  );
  return { upserted: rows[0].upserted, newSubscriptions: rows[0].subscribed, statuses: rows[0].statuses ?? {} };
}

/** Streams a batch into import_staging as COPY text, one write of the whole batch. */
async function copyRows(client: PoolClient, batch: ImportRow[]): Promise<void> {
  let text = '';
  for (const row of batch) {
    text +=
      `${copyField(row.email)}\t${copyField(row.name)}\t${copyField(JSON.stringify(row.attributes))}\t${copyField(row.subscription)}\t` +
      `${row.blocked ? 't' : 'f'}\t${copyField(row.suppression)}\t${row.details ? copyField(JSON.stringify(row.details)) : '\\N'}\t` +
      `${copyField(row.subscribedAt)}\t${copyField(row.confirmedAt)}\t${copyField(row.unsubscribedAt)}\n`;
  }
  const stream = client.query(
    copyFrom('COPY import_staging (email, name, attributes, subscription, blocked, suppression, details, subscribed_at, confirmed_at, unsubscribed_at) FROM STDIN'),
  );
  await pipeline(Readable.from([text]), stream);
}

const COPY_SPECIAL = /[\\\t\n\r]/;

/** A value in COPY's text format: NULL as \N; backslash, tab and line ends escaped. */
export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  if (!COPY_SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
