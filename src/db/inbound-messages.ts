import type { Pool } from './pool';

export type InboundOutcome = 'applied' | 'ignored' | 'unrecognised' | 'malformed';

export interface InboundMessageRow {
  channel: 'smtp' | 'imap';
  sha256: Buffer;
  envelopeFrom: string | null;
  envelopeTo: string | null;
  deliveryId: number | null;
  type: string;
  outcome: InboundOutcome;
  note: string | null;
  reports: unknown[];
  raw: Buffer;
}

/** Whether a message with these bytes was stored before (and so applied before). */
export async function inboundMessageSeen(pool: Pool, sha256: Buffer): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM inbound_messages WHERE sha256 = $1', [sha256]);
  return (rowCount ?? 0) > 0;
}

/** Stores a received message; returns its id, or null when the same bytes were stored before. */
export async function storeInboundMessage(pool: Pool, row: InboundMessageRow): Promise<number | null> {
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO inbound_messages (channel, sha256, envelope_from, envelope_to, delivery_id, size, type, outcome, note, reports, raw)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)
     ON CONFLICT (sha256) DO NOTHING RETURNING id`,
    [row.channel, row.sha256, row.envelopeFrom, row.envelopeTo, row.deliveryId, row.raw.length, row.type, row.outcome, row.note, JSON.stringify(row.reports), row.raw],
  );
  return rows[0]?.id ?? null;
}

/** Drops raw messages older than the retention; returns how many went. */
export async function deleteInboundMessagesBefore(pool: Pool, before: Date): Promise<number> {
  const { rowCount } = await pool.query('DELETE FROM inbound_messages WHERE received_at < $1', [before]);
  return rowCount ?? 0;
}

export interface InboundMessageSummary {
  id: number;
  receivedAt: Date;
  channel: string;
  envelopeTo: string | null;
  type: string;
  outcome: InboundOutcome;
  note: string | null;
  size: number;
}

export async function listInboundMessages(pool: Pool, options: { outcome?: InboundOutcome; limit: number }): Promise<InboundMessageSummary[]> {
  const { rows } = await pool.query<InboundMessageSummary>(
    `SELECT id, received_at AS "receivedAt", channel, envelope_to AS "envelopeTo", type, outcome, note, size
     FROM inbound_messages WHERE ($1::text IS NULL OR outcome = $1) ORDER BY id DESC LIMIT $2`,
    [options.outcome ?? null, options.limit],
  );
  return rows;
}

export async function inboundMessageRaw(pool: Pool, id: number): Promise<Buffer | undefined> {
  const { rows } = await pool.query<{ raw: Buffer }>('SELECT raw FROM inbound_messages WHERE id = $1', [id]);
  return rows[0]?.raw;
}
