-- An issue's fixed strings ("View in browser", "Unsubscribe", the greeting, …) are in its list's language,
-- and an issue is compiled when it is stored, not per send. So it is compiled once per catalogue language:
-- issues.html/text in issues.language (the language of the list named at `issue create --list`, else the
-- default), and one row here for each other language. A send takes the rendering in its list's language.
-- issues.language NULL: stored before catalogues existed, one rendering for every list (as it was sent).
ALTER TABLE issues ADD COLUMN IF NOT EXISTS language text CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$');

CREATE TABLE IF NOT EXISTS issue_renderings (
  issue_id  bigint NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
  language  text NOT NULL CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
  html      text NOT NULL,
  text      text NOT NULL,
  PRIMARY KEY (issue_id, language)
);
