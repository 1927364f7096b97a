-- What an issue written for a list may leave out (issue 12): the template set it is rendered with, the
-- postal address its footer must carry, and the name the greeting uses for subscribers without one. An
-- issue's own front matter (or YAML field) overrides each; unset here means config's default (or an error
-- at preflight when the issue needs it and nothing gives it).
ALTER TABLE lists ADD COLUMN IF NOT EXISTS issue_template text CHECK (issue_template ~ '^[a-z0-9][a-z0-9_-]*$');
ALTER TABLE lists ADD COLUMN IF NOT EXISTS postal_address text CHECK (btrim(postal_address) <> '');
ALTER TABLE lists ADD COLUMN IF NOT EXISTS default_name text CHECK (btrim(default_name) <> '');
