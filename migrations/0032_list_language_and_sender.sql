-- Per list: the readers' language and the sender.
-- language: the catalogue (src/i18n/<language>.ts) that every reader page of the list and every fixed string of
-- its emails come from; a BCP 47 tag. The set of catalogues is checked by the application, so a translator
-- adds a file, not a migration.
-- from_name / from_address: the list's own From (and envelope sender, List-Id and Feedback-ID domain); NULL
-- takes MAIL_FROM's.
ALTER TABLE lists ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$');
ALTER TABLE lists ADD COLUMN from_name text CHECK (from_name !~ '[\r\n]');
ALTER TABLE lists ADD COLUMN from_address text CHECK (from_address ~ '^[^\s@<>]+@[^\s@<>]+$');
