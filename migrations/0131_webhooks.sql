-- Outgoing webhooks (issue 15): endpoints operators register, the outbox of events they may receive, each
-- endpoint's position in each lane of the outbox, and the failed attempts (the per-endpoint failure view).

CREATE TABLE webhook_endpoints (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  url                   text NOT NULL CHECK (url ~ '^https?://'),
  events                text[] NOT NULL CHECK (cardinality(events) > 0),
  description           text NOT NULL DEFAULT '',
  -- The signing secret is derived from SECRET_KEY and this salt (src/webhooks/signature.ts): never stored.
  secret_salt           text NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT now(),
  delivered_count       bigint NOT NULL DEFAULT 0,
  failed_count          bigint NOT NULL DEFAULT 0,
  consecutive_failures  integer NOT NULL DEFAULT 0,
  last_success_at       timestamptz,
  last_failure_at       timestamptz,
  last_error            text
);

-- The outbox: one row per event an endpoint listens to, written by the same statement that records what it
-- reports (a delivery's result, an event, a subscription). `lane` is the subscriber id modulo 16: a
-- subscriber's events always go through one lane, and a lane is sent in order.
CREATE TABLE webhook_events (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type           text NOT NULL,
  lane           smallint NOT NULL,
  subscriber_id  bigint,
  occurred_at    timestamptz NOT NULL DEFAULT now(),
  data           jsonb NOT NULL
);
CREATE INDEX webhook_events_lane_idx ON webhook_events (lane, id);

-- Where each endpoint stands in each lane: every event up to `cursor` was sent (or given up on);
-- `failures`: failed attempts on the event after it.
CREATE TABLE webhook_lanes (
  endpoint_id  bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  lane         smallint NOT NULL,
  cursor       bigint NOT NULL,
  failures     integer NOT NULL DEFAULT 0,
  PRIMARY KEY (endpoint_id, lane)
);

CREATE TABLE webhook_failures (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  endpoint_id  bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id     bigint NOT NULL,
  event_type   text NOT NULL,
  attempt      integer NOT NULL,
  status_code  integer,
  error        text NOT NULL,
  gave_up      boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_failures_endpoint_idx ON webhook_failures (endpoint_id, id DESC);

-- subscriber.created and subscriber.confirmed: subscriptions are written by many paths (the form, the
-- confirm link, imports, the API), so statement-level triggers write their outbox rows, one INSERT per
-- statement, and only while an endpoint listens.
CREATE FUNCTION webhook_subscriptions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE events && ARRAY['subscriber.created', 'subscriber.confirmed']) THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_events (type, lane, subscriber_id, data)
  SELECT t.type, n.subscriber_id % 16, n.subscriber_id,
         jsonb_build_object('subscriberId', n.subscriber_id, 'email', s.email, 'name', s.name,
                            'listId', n.list_id, 'list', l.slug, 'status', n.status)
  FROM new_subscriptions n
  JOIN subscribers s ON s.id = n.subscriber_id
  JOIN lists l ON l.id = n.list_id
  CROSS JOIN (VALUES (1, 'subscriber.created'), (2, 'subscriber.confirmed')) AS t (ord, type)
  WHERE (t.type = 'subscriber.created' OR n.status = 'confirmed')
    AND t.type = ANY (SELECT unnest(events) FROM webhook_endpoints)
  ORDER BY n.subscriber_id, n.list_id, t.ord;
  RETURN NULL;
END $$;
CREATE TRIGGER webhook_subscriptions_inserted AFTER INSERT ON subscriptions
  REFERENCING NEW TABLE AS new_subscriptions FOR EACH STATEMENT EXECUTE FUNCTION webhook_subscriptions_inserted();

CREATE FUNCTION webhook_subscriptions_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE 'subscriber.confirmed' = ANY (events)) THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_events (type, lane, subscriber_id, data)
  SELECT 'subscriber.confirmed', n.subscriber_id % 16, n.subscriber_id,
         jsonb_build_object('subscriberId', n.subscriber_id, 'email', s.email, 'name', s.name,
                            'listId', n.list_id, 'list', l.slug, 'status', n.status)
  FROM new_subscriptions n
  JOIN old_subscriptions o ON o.list_id = n.list_id AND o.subscriber_id = n.subscriber_id
  JOIN subscribers s ON s.id = n.subscriber_id
  JOIN lists l ON l.id = n.list_id
  WHERE n.status = 'confirmed' AND o.status <> 'confirmed'
  ORDER BY n.subscriber_id, n.list_id;
  RETURN NULL;
END $$;
CREATE TRIGGER webhook_subscriptions_updated AFTER UPDATE ON subscriptions
  REFERENCING OLD TABLE AS old_subscriptions NEW TABLE AS new_subscriptions
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_subscriptions_updated();
