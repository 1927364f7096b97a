-- The public archive: the web versions of the issues a list was sent, its index and its Atom feed. On by
-- default (what readers of a newsletter expect); a list can turn it off, and then its issues are not public.
ALTER TABLE lists ADD COLUMN archive_public boolean NOT NULL DEFAULT true;
