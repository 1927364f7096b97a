import type { Pool } from './pool';

// The warm-up's state in PostgreSQL (migration 0130): the first day of each route's ramp, and until when
// the routes' caps hold the deliveries back. The day's counts are in Redis (src/queue/warmup-gate.ts).

/** Day 1 of a route's warm-up (YYYY-MM-DD): `today` when the route had none, as every worker then agrees. */
export async function warmupStart(pool: Pool, route: string, today: string): Promise<string> {
  const { rows } = await pool.query<{ startedOn: string }>(
    `INSERT INTO warmup_routes (route, started_on) VALUES ($1, $2::date)
     ON CONFLICT (route) DO UPDATE SET updated_at = warmup_routes.updated_at
     RETURNING to_char(started_on, 'YYYY-MM-DD') AS "startedOn"`,
    [route, today],
  );
  return rows[0].startedOn;
}

/** Every warmed-up route reached its cap: deliveries wait until `until` (written once per hold per process). */
export async function markWarmupHeld(pool: Pool, routes: { route: string; startedOn: string }[], until: Date): Promise<void> {
  await pool.query(
    `INSERT INTO warmup_routes (route, started_on, held_until)
     SELECT route, started_on::date, $3 FROM unnest($1::text[], $2::text[]) AS r (route, started_on)
     ON CONFLICT (route) DO UPDATE SET held_until = EXCLUDED.held_until, updated_at = now()`,
    [routes.map((r) => r.route), routes.map((r) => r.startedOn), until],
  );
}

export interface WarmupHold {
  /** When the next day's caps let deliveries go again. */
  until: Date;
  routes: { route: string; startedOn: string }[];
}

/** The warm-up hold in force now, if any. */
export async function currentWarmupHold(pool: Pool): Promise<WarmupHold | undefined> {
  const { rows } = await pool.query<{ route: string; startedOn: string; heldUntil: Date }>(
    `SELECT route, to_char(started_on, 'YYYY-MM-DD') AS "startedOn", held_until AS "heldUntil"
     FROM warmup_routes WHERE held_until > now() ORDER BY route`,
  );
  if (rows.length === 0) return undefined;
  return {
    until: new Date(Math.min(...rows.map((r) => r.heldUntil.getTime()))),
    routes: rows.map(({ route, startedOn }) => ({ route, startedOn })),
  };
}
