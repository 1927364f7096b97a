-- Operators (the people using the app and the API), their sessions and API tokens, and the audit log.
-- Secrets are never stored as given: passwords as argon2id hashes, session ids, API tokens and
-- set-password tokens as SHA-256 digests, so a copy of the database opens no session.

CREATE TABLE operators (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email              text NOT NULL CHECK (email ~ '^[^\s@]+@[^\s@]+$'),
  name               text NOT NULL DEFAULT '',
  -- viewer: sees everything, changes nothing; editor: writes issues, manages lists and subscribers, sends;
  -- owner: also manages operators and settings.
  role               text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  password_hash      text,
  -- A one-time set-password link (`tidings user create` prints it); cleared when used.
  password_token_hash text,
  password_token_expires_at timestamptz,
  -- The interface language chosen by the operator; null follows the browser.
  locale             text CHECK (locale IN ('en', 'zh-CN')),
  disabled           boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX operators_email_key ON operators (lower(email));
CREATE UNIQUE INDEX operators_password_token_key ON operators (password_token_hash) WHERE password_token_hash IS NOT NULL;

CREATE TABLE operator_sessions (
  id_hash      text PRIMARY KEY,
  operator_id  bigint NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
  -- Sent back by the app in X-CSRF-Token on every state change.
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  ip           text,
  user_agent   text
);
CREATE INDEX operator_sessions_operator_idx ON operator_sessions (operator_id);

CREATE TABLE api_tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  operator_id  bigint NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (name <> ''),
  token_hash   text NOT NULL UNIQUE,
  -- The first characters, shown in the app so an operator can tell tokens apart.
  prefix       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX api_tokens_operator_idx ON api_tokens (operator_id);

-- Who did what, when. operator_email is copied so the log stays readable after an operator is deleted;
-- a null operator_id with actor 'admin-token' is the shared ADMIN_TOKEN.
CREATE TABLE audit_log (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  operator_id    bigint REFERENCES operators (id) ON DELETE SET NULL,
  actor          text NOT NULL,
  action         text NOT NULL,
  target         text NOT NULL DEFAULT '',
  details        jsonb NOT NULL DEFAULT '{}'::jsonb,
  ip             text
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);

-- Subscriber search by any part of the address or name: trigram indexes answer `ILIKE '%part%'` without
-- reading every row (measured in test/app-search.test.ts at a million subscribers).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS subscribers_email_trgm_idx ON subscribers USING gin (lower(email) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS subscribers_name_trgm_idx ON subscribers USING gin (lower(name) gin_trgm_ops);
