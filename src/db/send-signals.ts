import type { SignalCounts } from '../send/auto-pause';
import type { Pool, PoolClient } from './pool';
import { ANSWERED_DELIVERY_STATES } from './states';

/**
 * Hard bounces and complaints among a send's last `window` answered deliveries (newest ids first) since its
 * last resume. A hard bounce is a `bounce` event of kind `hard`: an SMTP refusal during our conversation or a
 * bounce report found later, both recorded by applyBounceReports. A backward scan of the send's newest
 * deliveries and two index probes per delivery: a few milliseconds for a window of 1,000.
 */
export async function sendSignals(db: Pool | PoolClient, sendId: number, window: number): Promise<SignalCounts> {
  const { rows } = await db.query<SignalCounts>({
    name: 'send-signals',
    text: `WITH recent AS (
       SELECT d.id FROM deliveries d JOIN sends s ON s.id = d.send_id
       WHERE d.send_id = $1 AND d.status = ANY($3::text[]) AND d.updated_at >= coalesce(s.signals_since, '-infinity')
       ORDER BY d.id DESC
       LIMIT $2
     )
     SELECT count(*)::int AS deliveries,
       count(*) FILTER (WHERE EXISTS (
         SELECT 1 FROM events e WHERE e.delivery_id = r.id AND e.type = 'bounce' AND e.data->>'kind' = 'hard'))::int AS "hardBounces",
       count(*) FILTER (WHERE EXISTS (
         SELECT 1 FROM events e WHERE e.delivery_id = r.id AND e.type = 'complaint'))::int AS complaints
     FROM recent r`,
    values: [sendId, window, ANSWERED_DELIVERY_STATES],
  });
  return rows[0];
}
