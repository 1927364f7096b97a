-- Segments: conditions on a subscriber's attributes, subscription dates and engagement, combined with AND or
-- OR (src/segments/compile.ts turns a definition into SQL). A send of a segment keeps a copy of the definition
-- it started with, so editing the segment later does not change who a running fan-out reaches.
CREATE TABLE segments (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL CHECK (name <> ''),
  -- A segment of one list, or null for one usable with any list.
  list_id     bigint REFERENCES lists (id) ON DELETE CASCADE,
  definition  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE sends ADD COLUMN IF NOT EXISTS segment_id bigint REFERENCES segments (id) ON DELETE SET NULL;
ALTER TABLE sends ADD COLUMN IF NOT EXISTS segment jsonb;

-- "Opened or clicked in the last N days" looks up one subscriber's recent events.
CREATE INDEX IF NOT EXISTS events_subscriber_type_time_idx ON events (subscriber_id, type, occurred_at) WHERE subscriber_id IS NOT NULL;
