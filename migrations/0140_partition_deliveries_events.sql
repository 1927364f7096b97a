-- Years of history (issue 15): `deliveries` and `events` become declaratively partitioned tables, converted in
-- place without losing a row, so retention (EVENT_RETENTION_DAYS, DELIVERY_RETENTION_DAYS) drops whole
-- partitions instead of deleting millions of rows.
--
-- deliveries: RANGE (send_id). Every hot path keys on the send: the fan-out inserts a send's deliveries, the
-- unique (send_id, subscriber_id) that makes a re-run fan-out harmless must include the partition key (it does
-- only when the key is the send), statistics count one send, and retention retires ended sends. A time key would
-- split a send over partitions and could not keep that unique constraint. Each partition holds a run of
-- consecutive send ids, about a month of sends or more (the run is as long as the number of sends created in
-- the 30 days before it, at least 8): a weekly newsletter gets a partition every two months, an instance with
-- a hundred sends a day about one a month.
-- The claim, tracking and bounce paths look a delivery up by id alone (job data and tokens carry only the id):
-- the primary key is (id, send_id) so each partition answers that from its primary key index, and the number of
-- partitions stays small. The partition of a send is created when the send is inserted (a trigger on sends), so
-- no delivery insert can miss its partition; there is no default partition.
--
-- events: RANGE (occurred_at), one partition per calendar month (UTC), created three months ahead by the
-- retention job (`tidings retention run`, daily in the worker) with a DEFAULT partition that catches whatever
-- falls outside (a provider's timestamp from long ago, a job that did not run): the next run moves those rows
-- into their month. Events arrive as a stream over time, retention is by age, and the engagement conditions of
-- segments ("opened in the last 30 days") read recent months only. Statistics never read events: they read the
-- rollups kept at insert (send_event_counts, send_event_buckets, event_firsts, migration 0004), so dropping
-- an old month leaves every send's figures as they were.
--
-- Foreign keys: a partitioned table's unique keys include its partition key, so nothing can reference
-- deliveries (id) or events (id) any more. events.delivery_id and sender_alerts.delivery_id stay as plain
-- columns (their readers join and skip a delivery that retention removed); deliveries keep their key to
-- subscribers (ON DELETE CASCADE). deliveries.send_id -> sends is dropped on purpose: attaching a new
-- partition would clone that key, which locks sends against the very insert that needs the partition (two
-- sends created at once would deadlock); the send is always there because its partition is made from it, and
-- deleting a send still deletes its deliveries (trigger below).
--
-- The conversion is generic: columns, defaults, checks, indexes, unique constraints, outgoing foreign keys and
-- triggers are read from the catalogue, so what earlier migrations (0130-0139 included) added to either table is
-- carried over. A unique index that does not include the partition key cannot exist on a partitioned table:
-- the migration stops with a message naming it. Incoming foreign keys from other tables are dropped (NOTICE).
-- It runs in the migration's one transaction: on a big database expect minutes (bench figures in README) and
-- stop the workers first.

-- Bounds of the partitions of a partitioned table, as text ('' for the default partition).
CREATE FUNCTION tidings_partitions(parent regclass)
RETURNS TABLE (name text, lo text, hi text, is_default boolean) LANGUAGE sql STABLE AS $fn$
  SELECT c.relname::text,
         substring(pg_get_expr(c.relpartbound, c.oid) FROM $re$FROM \('?([^')]*)'?\) TO$re$),
         substring(pg_get_expr(c.relpartbound, c.oid) FROM $re$TO \('?([^')]*)'?\)$$re$),
         pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = parent
$fn$;

-- The non-generated columns of a table, quoted and in order: what a copy of its rows names.
CREATE FUNCTION tidings_copy_columns(tbl regclass) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = tbl AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
$$;

-- Makes sure the deliveries of send p_send_id have a partition. A new partition starts where the last one ends
-- and covers as many send ids as sends were created in the 30 days before this one (at least 8). It is created
-- apart and attached, which locks deliveries only against other attaches (SHARE UPDATE EXCLUSIVE), not
-- against the claims and fan-outs running meanwhile.
CREATE FUNCTION deliveries_ensure_partition(p_send_id bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_lo bigint;
  v_hi bigint;
  v_next bigint;
  v_span bigint;
  v_name text;
BEGIN
  IF EXISTS (SELECT 1 FROM tidings_partitions('deliveries') p
             WHERE NOT p.is_default AND p_send_id >= p.lo::bigint AND p_send_id < p.hi::bigint) THEN
    RETURN;
  END IF;
  -- Two sends created at once: the second waits here and then finds the first one's partition.
  PERFORM pg_advisory_xact_lock(7460912340);
  IF EXISTS (SELECT 1 FROM tidings_partitions('deliveries') p
             WHERE NOT p.is_default AND p_send_id >= p.lo::bigint AND p_send_id < p.hi::bigint) THEN
    RETURN;
  END IF;
  SELECT max(p.hi::bigint) INTO v_lo FROM tidings_partitions('deliveries') p WHERE NOT p.is_default AND p.hi::bigint <= p_send_id;
  v_lo := coalesce(v_lo, least(p_send_id, 1));
  SELECT min(p.lo::bigint) INTO v_next FROM tidings_partitions('deliveries') p WHERE NOT p.is_default AND p.lo::bigint > p_send_id;
  SELECT greatest(8, count(*)) INTO v_span FROM sends s, (SELECT coalesce((SELECT created_at FROM sends WHERE id = p_send_id), now()) AS at) t
  WHERE s.created_at > t.at - interval '30 days' AND s.created_at <= t.at;
  v_hi := p_send_id + v_span;
  IF v_next IS NOT NULL AND v_next < v_hi THEN v_hi := v_next; END IF;
  v_name := format('deliveries_sends_%s_%s', v_lo, v_hi - 1);
  EXECUTE format('CREATE TABLE %I (LIKE deliveries INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)', v_name);
  EXECUTE format('ALTER TABLE deliveries ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', v_name, v_lo, v_hi);
END $$;

-- Makes sure the month (UTC) holding p_at has its events partition. Rows of that month that went to the default
-- partition meanwhile are moved into the new table before it is attached (attaching checks the default holds
-- none). Events are only ever inserted, so moving them loses nothing.
CREATE FUNCTION events_ensure_partition(p_at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_lo timestamptz := date_trunc('month', p_at, 'UTC');
  v_hi timestamptz := date_trunc('month', p_at, 'UTC') + interval '1 month';
  v_name text := 'events_' || to_char(date_trunc('month', p_at, 'UTC') AT TIME ZONE 'UTC', 'YYYY_MM');
  v_default text;
  v_cols text;
BEGIN
  -- Only the retention pass (and this migration) call it: it may wait for the lock every time.
  PERFORM pg_advisory_xact_lock(7460912341);
  IF EXISTS (SELECT 1 FROM tidings_partitions('events') p
             WHERE NOT p.is_default AND p_at >= p.lo::timestamptz AND p_at < p.hi::timestamptz) THEN
    RETURN;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)', v_name);
  SELECT p.name INTO v_default FROM tidings_partitions('events') p WHERE p.is_default;
  IF v_default IS NOT NULL THEN
    v_cols := tidings_copy_columns(v_default::regclass);
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *) INSERT INTO %I (%s) SELECT %s FROM moved',
                   v_default, v_name, v_cols, v_cols) USING v_lo, v_hi;
  END IF;
  EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', v_name, v_lo, v_hi);
END $$;

-- Turns p_table into a table partitioned by p_partition_by with the same name, columns, rows, indexes,
-- constraints and triggers; p_partitions is run (with the new, empty table in place) to create the partitions
-- before the rows are copied. Foreign keys to p_skip_fk_to are not created again (see the header).
CREATE FUNCTION pg_temp.convert_to_partitioned(p_table text, p_partition_by text, p_key text, p_partitions text[], p_skip_fk_to regclass[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_old regclass := p_table::regclass;
  v_key smallint := (SELECT attnum FROM pg_attribute WHERE attrelid = p_table::regclass AND attname = p_key);
  v_keep text := p_table || '_unpartitioned';
  v_later text[] := '{}';
  v_cols text;
  v_seq text;
  v_last bigint;
  v_before bigint;
  v_after bigint;
  v_stmt text;
  r record;
BEGIN
  -- Unique constraints and the primary key: the key is added to a primary key that lacks it (ids stay unique:
  -- they come from one sequence); any other unique constraint without it cannot be kept.
  FOR r IN SELECT conname, contype, conkey, pg_get_constraintdef(oid) AS def FROM pg_constraint
           WHERE conrelid = v_old AND contype IN ('p', 'u', 'x') ORDER BY contype, conname LOOP
    IF r.contype = 'p' THEN
      v_later := v_later || format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (%s)', p_table, r.conname,
        (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.n) FROM unnest(r.conkey) WITH ORDINALITY k (attnum, n)
         JOIN pg_attribute a ON a.attrelid = v_old AND a.attnum = k.attnum)
        || CASE WHEN v_key = ANY (r.conkey) THEN '' ELSE ', ' || quote_ident(p_key) END);
    ELSIF r.contype = 'u' AND v_key = ANY (r.conkey) THEN
      v_later := v_later || format('ALTER TABLE %I ADD CONSTRAINT %I %s', p_table, r.conname, r.def);
    ELSE
      RAISE EXCEPTION 'constraint % on % (%) does not include the partition key %: a partitioned table cannot keep it; change it to include % in a migration before 0140',
        r.conname, p_table, r.def, p_key, p_key;
    END IF;
  END LOOP;
  -- Other indexes, as written (they name the table, which keeps its name).
  FOR r IN SELECT i.indexrelid::regclass::text AS name, i.indisunique, i.indkey, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
           WHERE i.indrelid = v_old AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = v_old) LOOP
    IF r.indisunique AND NOT (v_key = ANY (r.indkey::smallint[])) THEN
      RAISE EXCEPTION 'unique index % on % does not include the partition key %: a partitioned table cannot keep it; change it to include % in a migration before 0140',
        r.name, p_table, p_key, p_key;
    END IF;
    v_later := v_later || r.def;
  END LOOP;
  -- Outgoing foreign keys.
  FOR r IN SELECT conname, confrelid, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = v_old AND contype = 'f' LOOP
    IF r.confrelid = ANY (p_skip_fk_to) THEN
      RAISE NOTICE 'foreign key % of % is not kept (see migration 0140)', r.conname, p_table;
    ELSE
      v_later := v_later || format('ALTER TABLE %I ADD CONSTRAINT %I %s', p_table, r.conname, r.def);
    END IF;
  END LOOP;
  -- Triggers (created after the copy: the rows are already rolled up).
  FOR r IN SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = v_old AND NOT tgisinternal LOOP
    v_later := v_later || r.def;
  END LOOP;
  -- Incoming foreign keys from other tables: nothing can reference a partitioned table's id alone.
  FOR r IN SELECT conname, conrelid::regclass::text AS tbl FROM pg_constraint WHERE confrelid = v_old AND contype = 'f' AND conrelid <> v_old LOOP
    RAISE NOTICE 'foreign key % of % to % is dropped (see migration 0140)', r.conname, r.tbl, p_table;
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
  END LOOP;

  v_seq := pg_get_serial_sequence(p_table, 'id');
  IF v_seq IS NOT NULL THEN
    EXECUTE format('SELECT CASE WHEN is_called THEN last_value END FROM %s', v_seq) INTO v_last;
  END IF;
  EXECUTE format('ALTER TABLE %I RENAME TO %I', p_table, v_keep);
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING ALL EXCLUDING INDEXES) PARTITION BY %s', p_table, v_keep, p_partition_by);
  FOREACH v_stmt IN ARRAY p_partitions LOOP
    EXECUTE v_stmt;
  END LOOP;
  v_cols := tidings_copy_columns(v_keep::regclass);
  EXECUTE format('INSERT INTO %I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %I', p_table, v_cols, v_cols, v_keep);
  EXECUTE format('SELECT count(*) FROM %I', v_keep) INTO v_before;
  EXECUTE format('SELECT count(*) FROM %I', p_table) INTO v_after;
  IF v_before <> v_after THEN
    RAISE EXCEPTION 'converting %: % rows before, % after', p_table, v_before, v_after;
  END IF;
  EXECUTE format('DROP TABLE %I', v_keep);
  -- The new table's identity sequence takes the old one's name and goes on where it stopped.
  IF v_seq IS NOT NULL THEN
    EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', pg_get_serial_sequence(p_table, 'id'), p_table || '_id_seq');
    EXECUTE format('SELECT greatest(%L::bigint, (SELECT max(id) FROM %I))', v_last, p_table) INTO v_last;  -- NULL only when never used
    IF v_last IS NOT NULL THEN PERFORM setval(pg_get_serial_sequence(p_table, 'id'), v_last); END IF;
  END IF;
  FOREACH v_stmt IN ARRAY v_later LOOP
    EXECUTE v_stmt;
  END LOOP;
  EXECUTE format('ANALYZE %I', p_table);
END $$;

SELECT pg_temp.convert_to_partitioned('deliveries', 'RANGE (send_id)', 'send_id',
  ARRAY['SELECT deliveries_ensure_partition(id) FROM sends ORDER BY id'], ARRAY['sends'::regclass]);
SELECT pg_temp.convert_to_partitioned('events', 'RANGE (occurred_at)', 'occurred_at',
  ARRAY['CREATE TABLE events_default PARTITION OF events DEFAULT',
        $p$SELECT events_ensure_partition(m) FROM (
             SELECT DISTINCT date_trunc('month', occurred_at, 'UTC') AS m FROM events_unpartitioned
             UNION SELECT date_trunc('month', now(), 'UTC') + n * interval '1 month' FROM generate_series(0, 3) n
           ) months ORDER BY m$p$], ARRAY[]::regclass[]);

-- Every send gets the partition of its deliveries as it is created.
CREATE FUNCTION sends_deliveries_partition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM deliveries_ensure_partition(NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER sends_deliveries_partition AFTER INSERT ON sends FOR EACH ROW EXECUTE FUNCTION sends_deliveries_partition();

-- What ON DELETE CASCADE of deliveries.send_id did.
CREATE FUNCTION sends_delete_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM deliveries WHERE send_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER sends_delete_deliveries BEFORE DELETE ON sends FOR EACH ROW EXECUTE FUNCTION sends_delete_deliveries();

-- Deliveries removed by DELIVERY_RETENTION_DAYS, counted by status as they were when their partition was
-- dropped: statistics add these to the live rows, so an old send's figures stay right.
CREATE TABLE send_retired_deliveries (
  send_id     bigint NOT NULL REFERENCES sends (id) ON DELETE CASCADE,
  status      text NOT NULL,
  n           bigint NOT NULL,
  retired_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (send_id, status)
);
