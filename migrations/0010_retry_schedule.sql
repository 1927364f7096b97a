-- Retries that last hours: when a retrying delivery is due (shown by `tidings status`, and used to restore its
-- delayed job after Redis is lost), and how many throttling replies it met since its last attempt (bounded:
-- past THROTTLES_PER_ATTEMPT one costs an attempt, so a send always ends).
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS next_attempt_at timestamptz;
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS throttles integer NOT NULL DEFAULT 0;
