-- Tidings schema, version 1. Append-only: later changes go in new files, never edit this one.
-- Words as in README.md's glossary: list, subscriber, subscription, issue, send, delivery, event.

CREATE TABLE lists (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name          text NOT NULL CHECK (name <> '' AND name !~ '[\r\n]'),
  double_opt_in boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- A subscriber is a person (one address), whatever lists they are on.
-- status 'blocked' means nothing may be sent to the address (see suppression in the glossary).
CREATE TABLE subscribers (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email       text NOT NULL CHECK (email ~ '^[^\s@]+@[^\s@]+$'),
  name        text NOT NULL DEFAULT '',
  attributes  jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(attributes) = 'object'),
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Addresses are unique case-insensitively; the stored spelling is kept as given.
CREATE UNIQUE INDEX subscribers_email_key ON subscribers (lower(email));

CREATE TABLE subscriptions (
  list_id          bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  subscriber_id    bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  status           text NOT NULL CHECK (status IN ('unconfirmed', 'confirmed', 'unsubscribed')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  confirmed_at     timestamptz,
  unsubscribed_at  timestamptz,
  PRIMARY KEY (list_id, subscriber_id)
);
CREATE INDEX subscriptions_subscriber_idx ON subscriptions (subscriber_id);

-- An issue is one edition's content: its source as written and the HTML and text compiled from it once.
CREATE TABLE issues (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug         text NOT NULL UNIQUE,
  subject      text NOT NULL CHECK (subject <> '' AND subject !~ '[\r\n]'),
  preheader    text NOT NULL DEFAULT '',
  template     text NOT NULL,
  -- How the greeting names a subscriber without a name (and every reader of the web version).
  default_name text NOT NULL DEFAULT '',
  source       text NOT NULL,
  source_hash  text NOT NULL,
  html         text NOT NULL,
  text         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- A send is one issue to one list, once.
CREATE TABLE sends (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  issue_id        bigint NOT NULL REFERENCES issues (id),
  list_id         bigint NOT NULL REFERENCES lists (id),
  status          text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'fanning_out', 'sending', 'paused', 'finished', 'cancelled', 'failed')),
  status_reason   text,
  total           integer NOT NULL DEFAULT 0,
  sent_count      integer NOT NULL DEFAULT 0,
  failed_count    integer NOT NULL DEFAULT 0,
  -- Keyset checkpoint of the fan-out: the last subscriber id turned into a delivery.
  fanout_cursor   bigint NOT NULL DEFAULT 0,
  scheduled_at    timestamptz,
  started_at      timestamptz,
  finished_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sends_issue_idx ON sends (issue_id);
CREATE INDEX sends_list_idx ON sends (list_id);

-- A delivery is one subscriber × one send. 'sent' means the SMTP server accepted it, never that it reached an inbox.
CREATE TABLE deliveries (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  send_id        bigint NOT NULL REFERENCES sends (id) ON DELETE CASCADE,
  subscriber_id  bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  status         text NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'sending', 'sent', 'retrying', 'failed', 'suppressed', 'cancelled')),
  attempts       integer NOT NULL DEFAULT 0,
  smtp_response  text,
  message_id     text,
  locked_until   timestamptz,
  queued_at      timestamptz NOT NULL DEFAULT now(),
  sent_at        timestamptz,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (send_id, subscriber_id)
);
CREATE INDEX deliveries_send_status_idx ON deliveries (send_id, status);
-- The unfinished deliveries of a send, for the finish check and for re-queueing after a Redis loss.
CREATE INDEX deliveries_pending_idx ON deliveries (send_id, id) WHERE status IN ('queued', 'sending', 'retrying');

CREATE TABLE events (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type           text NOT NULL CHECK (type IN ('open', 'click', 'unsubscribe', 'bounce', 'complaint')),
  delivery_id    bigint REFERENCES deliveries (id) ON DELETE SET NULL,
  subscriber_id  bigint REFERENCES subscribers (id) ON DELETE SET NULL,
  list_id        bigint REFERENCES lists (id) ON DELETE SET NULL,
  occurred_at    timestamptz NOT NULL DEFAULT now(),
  data           jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX events_delivery_idx ON events (delivery_id);
CREATE INDEX events_type_time_idx ON events (type, occurred_at);
