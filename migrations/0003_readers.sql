-- Readers' side: per-list tracking switch, the links of each issue (click tracking without open
-- redirects), confirmation bookkeeping for double opt-in, and flags on events (machine opens, scanner clicks).

-- Off: messages of this list carry no open pixel and plain links.
ALTER TABLE lists ADD COLUMN tracking boolean NOT NULL DEFAULT true;

-- The http(s) links of an issue's HTML, numbered in order of first appearance. A click URL carries only
-- (delivery token, link_id); the target is looked up here, never taken from the request.
CREATE TABLE issue_links (
  issue_id  bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
  link_id   integer NOT NULL CHECK (link_id > 0),
  url       text NOT NULL CHECK (url ~ '^https?://'),
  PRIMARY KEY (issue_id, link_id)
);

-- Double opt-in: when the last confirmation email went out (at most one per address per 24 hours, also
-- enforced on Redis) and how the subscription came to be.
ALTER TABLE subscriptions ADD COLUMN confirmation_sent_at timestamptz;
ALTER TABLE subscriptions ADD COLUMN source text NOT NULL DEFAULT 'import' CHECK (source IN ('import', 'form'));

-- Events are stored with flags rather than dropped: 'apple_mpp', 'google_proxy', 'yahoo_proxy' (machine
-- opens), 'head', 'scanner_agent', 'too_fast', 'burst' (suspected scanner clicks).
ALTER TABLE events ADD COLUMN flags text[] NOT NULL DEFAULT '{}';
ALTER TABLE events ADD COLUMN machine boolean GENERATED ALWAYS AS (cardinality(flags) > 0) STORED;
