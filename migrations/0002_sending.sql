-- Sending at scale: scheduled sends, pause/resume across the fan-out, why a delivery failed, and which
-- SMTP route carried it.

ALTER TABLE sends DROP CONSTRAINT sends_status_check;
ALTER TABLE sends ADD CONSTRAINT sends_status_check
  CHECK (status IN ('scheduled', 'queued', 'fanning_out', 'sending', 'paused', 'finished', 'cancelled', 'failed'));

-- Set when the fan-out has created every delivery: a resumed send knows whether to fan out again.
ALTER TABLE sends ADD COLUMN fanned_out_at timestamptz;
-- Consecutive 5.7.x (policy/authentication) rejections; too many in a row pause the send.
ALTER TABLE sends ADD COLUMN policy_failure_streak integer NOT NULL DEFAULT 0;
CREATE INDEX sends_active_idx ON sends (status) WHERE status IN ('scheduled', 'queued', 'fanning_out', 'sending');

-- Why a delivery failed: 'recipient' (the address was refused: 5xx), 'sender' (5.7.x policy or
-- authentication: our problem, not the subscriber's), 'exhausted' (temporary errors until the attempts ran out).
ALTER TABLE deliveries ADD COLUMN failure_kind text CHECK (failure_kind IN ('recipient', 'sender', 'exhausted'));
ALTER TABLE deliveries ADD COLUMN smtp_route text;
CREATE INDEX deliveries_stale_sending_idx ON deliveries (locked_until) WHERE status = 'sending';
