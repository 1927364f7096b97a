-- Sending controls (issue 15): auto-pause on bad signals and warm-up of new routes.

-- Auto-pause counts hard bounces and complaints among a send's last deliveries answered since this time:
-- set on every resume, so a send resumed by its operator starts a fresh window instead of pausing again at once.
ALTER TABLE sends ADD COLUMN signals_since timestamptz;

-- Warm-up (WARMUP): the day each SMTP route's ramp started (day 1), so every worker on every host and every
-- restart agrees on the day's cap. `held_until`: set when the route's cap for the day is reached.
CREATE TABLE warmup_routes (
  route       text PRIMARY KEY,
  started_on  date NOT NULL,
  held_until  timestamptz,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
