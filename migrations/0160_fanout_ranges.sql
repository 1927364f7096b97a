-- A large send's fan-out runs as several jobs, each over its own range of subscriber ids with its own cursor,
-- so they run side by side (on several workers) and a crash still resumes each one exactly. A send whose
-- fan-out is one job (a small list) has no rows here and keeps its cursor in sends.fanout_cursor.
CREATE TABLE fanout_ranges (
  send_id             bigint NOT NULL REFERENCES sends (id) ON DELETE CASCADE,
  range_no            integer NOT NULL CHECK (range_no >= 0),
  -- Subscriber ids in (after_subscriber_id, last_subscriber_id].
  after_subscriber_id bigint NOT NULL,
  last_subscriber_id  bigint NOT NULL CHECK (last_subscriber_id > after_subscriber_id),
  -- The last subscriber id of this range whose delivery is created and queued.
  cursor              bigint NOT NULL,
  done                boolean NOT NULL DEFAULT false,
  PRIMARY KEY (send_id, range_no)
);
