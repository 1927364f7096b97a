-- Operators' side: the global suppression list, bounce and complaint bookkeeping, import jobs, and the
-- indexes that keep per-send statistics fast at a million deliveries.

-- One global suppression list. Suppressing an address also sets subscribers.status = 'blocked', which every
-- send already honours through the delivery claim; removing the row sets the subscriber back to 'active'.
CREATE TABLE suppressions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email       text NOT NULL CHECK (email ~ '^[^\s@]+@[^\s@]+$'),
  reason      text NOT NULL CHECK (reason IN ('hard_bounce', 'soft_bounce', 'complaint', 'manual')),
  -- Where the verdict came from: ses, postmark, sendgrid, mailgun, dsn, arf, api, cli.
  source      text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX suppressions_email_key ON suppressions (lower(email));

-- Provider event ids already applied: a webhook delivered twice changes state only once.
CREATE TABLE provider_events (
  provider     text NOT NULL,
  event_id     text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

-- Soft bounces in a row per subscriber: a run of 5 sends spanning 14 days suppresses; a successful
-- delivery (a later send that did not soft-bounce) resets it. last_send_id keeps two bounces of one send as one.
CREATE TABLE soft_bounce_streaks (
  subscriber_id  bigint PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
  sends          integer NOT NULL DEFAULT 0,
  first_at       timestamptz NOT NULL,
  last_at        timestamptz NOT NULL,
  last_delivery_id bigint
);

-- Problems that are the sender's, not the subscriber's (5.7.x policy and authentication rejections):
-- nobody is suppressed, an operator must look.
CREATE TABLE sender_alerts (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind          text NOT NULL,
  email         text,
  status_code   text,
  diagnostic    text,
  source        text NOT NULL,
  delivery_id   bigint REFERENCES deliveries (id) ON DELETE SET NULL,
  send_id       bigint REFERENCES sends (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sender_alerts_time_idx ON sender_alerts (created_at DESC);

-- An import of a CSV into a list: progress while it runs, the report when it ends. checkpoint_line is the
-- last line whose batch committed, so a re-run with --resume skips what already landed.
CREATE TABLE import_jobs (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  list_id          bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  source           text NOT NULL,
  status           text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'failed')),
  subscription_status text NOT NULL CHECK (subscription_status IN ('confirmed', 'unconfirmed')),
  rows_read        integer NOT NULL DEFAULT 0,
  imported         integer NOT NULL DEFAULT 0,
  subscribed       integer NOT NULL DEFAULT 0,
  rejected         integer NOT NULL DEFAULT 0,
  checkpoint_line  integer NOT NULL DEFAULT 0,
  error            text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);

CREATE TABLE import_rejections (
  import_id  bigint NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
  line       integer NOT NULL,
  reason     text NOT NULL,
  PRIMARY KEY (import_id, line)
);

-- Events carry their send: copied from the delivery when the event is written, so the rollups below (and any
-- per-send look-up) need no join through a million deliveries.
ALTER TABLE events ADD COLUMN IF NOT EXISTS send_id bigint;
CREATE OR REPLACE FUNCTION events_fill_send_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.send_id IS NULL AND NEW.delivery_id IS NOT NULL THEN
    SELECT send_id INTO NEW.send_id FROM deliveries WHERE id = NEW.delivery_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER events_fill_send_id BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_fill_send_id();
UPDATE events e SET send_id = d.send_id FROM deliveries d WHERE e.delivery_id = d.id AND e.send_id IS NULL;
CREATE INDEX events_send_type_idx ON events (send_id, type) WHERE send_id IS NOT NULL;

-- Bounces are matched to deliveries by Message-ID.
CREATE INDEX deliveries_message_id_idx ON deliveries (message_id) WHERE message_id IS NOT NULL;

-- Rollups of events per send, kept by a statement-level trigger: one aggregate upsert per INSERT statement
-- (the tracking endpoints write events in batches), so statistics read a few rows instead of scanning every
-- event of a send. `detail` is the link id for clicks and the bounce kind for bounces ('' = all of the type).
CREATE TABLE send_event_counts (
  send_id  bigint NOT NULL,
  type     text NOT NULL,
  machine  boolean NOT NULL,
  detail   text NOT NULL DEFAULT '',
  total    bigint NOT NULL DEFAULT 0,
  -- Deliveries with at least one such event.
  uniq     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (send_id, type, machine, detail)
);
-- Which deliveries already had an event of a kind: what makes `uniq` count each delivery once.
CREATE TABLE event_firsts (
  delivery_id  bigint NOT NULL,
  type         text NOT NULL,
  machine      boolean NOT NULL,
  detail       text NOT NULL,
  PRIMARY KEY (delivery_id, type, machine, detail)
);
-- Opens and clicks per 5 minutes, for the timeline.
CREATE TABLE send_event_buckets (
  send_id  bigint NOT NULL,
  at       timestamptz NOT NULL,
  type     text NOT NULL,
  machine  boolean NOT NULL,
  n        bigint NOT NULL,
  PRIMARY KEY (send_id, at, type, machine)
);

CREATE OR REPLACE FUNCTION events_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH keyed AS (
    SELECT send_id, delivery_id, type, machine, '' AS detail FROM new_events WHERE send_id IS NOT NULL
    UNION ALL
    SELECT send_id, delivery_id, type, machine, coalesce(data->>'linkId', data->>'kind') FROM new_events
    WHERE send_id IS NOT NULL AND type IN ('click', 'bounce') AND coalesce(data->>'linkId', data->>'kind') IS NOT NULL
  ), firsts AS (
    INSERT INTO event_firsts (delivery_id, type, machine, detail)
    SELECT DISTINCT delivery_id, type, machine, detail FROM keyed WHERE delivery_id IS NOT NULL
    ORDER BY 1, 2, 3, 4
    ON CONFLICT DO NOTHING
    RETURNING delivery_id, type, machine, detail
  ), uniq AS (
    SELECT k.send_id, f.type, f.machine, f.detail, count(*) AS n
    FROM firsts f JOIN (SELECT DISTINCT send_id, delivery_id FROM keyed) k ON k.delivery_id = f.delivery_id
    GROUP BY 1, 2, 3, 4
  ), tot AS (
    SELECT send_id, type, machine, detail, count(*) AS n FROM keyed GROUP BY 1, 2, 3, 4
  )
  INSERT INTO send_event_counts (send_id, type, machine, detail, total, uniq)
  SELECT t.send_id, t.type, t.machine, t.detail, t.n, coalesce(u.n, 0)
  FROM tot t LEFT JOIN uniq u USING (send_id, type, machine, detail)
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (send_id, type, machine, detail)
  DO UPDATE SET total = send_event_counts.total + EXCLUDED.total, uniq = send_event_counts.uniq + EXCLUDED.uniq;

  INSERT INTO send_event_buckets (send_id, at, type, machine, n)
  SELECT send_id, date_bin('5 minutes', occurred_at, '2000-01-01'), type, machine, count(*)
  FROM new_events WHERE send_id IS NOT NULL AND type IN ('open', 'click')
  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (send_id, at, type, machine) DO UPDATE SET n = send_event_buckets.n + EXCLUDED.n;
  RETURN NULL;
END $$;
CREATE TRIGGER events_rollup AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION events_rollup();

-- Events recorded before this migration, rolled up once.
INSERT INTO event_firsts (delivery_id, type, machine, detail)
SELECT DISTINCT delivery_id, type, machine, '' FROM events WHERE send_id IS NOT NULL AND delivery_id IS NOT NULL
UNION
SELECT DISTINCT delivery_id, type, machine, coalesce(data->>'linkId', data->>'kind') FROM events
WHERE send_id IS NOT NULL AND delivery_id IS NOT NULL AND type IN ('click', 'bounce') AND coalesce(data->>'linkId', data->>'kind') IS NOT NULL;
INSERT INTO send_event_counts (send_id, type, machine, detail, total, uniq)
SELECT send_id, type, machine, detail, count(*), count(DISTINCT delivery_id)
FROM (
  SELECT send_id, delivery_id, type, machine, '' AS detail FROM events WHERE send_id IS NOT NULL
  UNION ALL
  SELECT send_id, delivery_id, type, machine, coalesce(data->>'linkId', data->>'kind') FROM events
  WHERE send_id IS NOT NULL AND type IN ('click', 'bounce') AND coalesce(data->>'linkId', data->>'kind') IS NOT NULL
) k GROUP BY 1, 2, 3, 4;
INSERT INTO send_event_buckets (send_id, at, type, machine, n)
SELECT send_id, date_bin('5 minutes', occurred_at, '2000-01-01'), type, machine, count(*)
FROM events WHERE send_id IS NOT NULL AND type IN ('open', 'click') GROUP BY 1, 2, 3, 4;

-- Delivery counts of a send that has ended (finished, cancelled, failed) do not change until the send changes
-- again (retry-failed resumes it, which moves updated_at): counted once, then read from here.
CREATE TABLE send_delivery_counts (
  send_id          bigint PRIMARY KEY REFERENCES sends (id) ON DELETE CASCADE,
  send_updated_at  timestamptz NOT NULL,
  counts           jsonb NOT NULL
);
