-- Subscriber search reads one trigram index over the address and the name together instead of one index
-- each: every subscriber written (an import's million rows above all) updates one GIN index, not two, and a
-- row's trigrams are extracted once. The search condition (src/db/subscriber-search.ts) asks this index
-- for candidates and then checks the address and the name each, so a part spanning the two matches nothing.
CREATE INDEX IF NOT EXISTS subscribers_search_trgm_idx ON subscribers USING gin ((lower(email) || ' ' || lower(name)) gin_trgm_ops);
DROP INDEX IF EXISTS subscribers_email_trgm_idx;
DROP INDEX IF EXISTS subscribers_name_trgm_idx;
