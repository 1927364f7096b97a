-- Messages that reached the bounce mailbox (inbound SMTP for BOUNCE_DOMAIN, or IMAP polling of BOUNCE_MAILBOX),
-- kept raw for INBOUND_KEEP_HOURS so an operator can look at what was (or was not) recognised. The sha256 of
-- the raw bytes is unique: the same message seen twice (a resent bounce, an IMAP message fetched again after a
-- crash) is applied once.
CREATE TABLE IF NOT EXISTS inbound_messages (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at   timestamptz NOT NULL DEFAULT now(),
  -- smtp or imap.
  channel       text NOT NULL,
  sha256        bytea NOT NULL UNIQUE,
  envelope_from text,
  envelope_to   text,
  -- The delivery named by the VERP address it was sent to, when there was one.
  delivery_id   bigint,
  size          integer NOT NULL,
  -- dsn, arf, bounce, fbl, ses, delayed, challenge, auto_reply, unknown, or malformed.
  type          text NOT NULL,
  -- applied (at least one report changed something), ignored (nothing to apply), unrecognised, malformed.
  outcome       text NOT NULL CHECK (outcome IN ('applied', 'ignored', 'unrecognised', 'malformed')),
  note          text,
  reports       jsonb NOT NULL DEFAULT '[]'::jsonb,
  raw           bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS inbound_messages_received_idx ON inbound_messages (received_at);
