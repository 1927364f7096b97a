-- A second send of an issue to a list it already went to is refused unless the operator asks for it
-- (`tidings send --again`). Such a send skips the subscribers who already received the issue from an
-- earlier send, unless it was started with --include-previous (then this is false).
ALTER TABLE sends ADD COLUMN skip_previous_recipients boolean NOT NULL DEFAULT false;
