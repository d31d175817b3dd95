-- The first schema of the back office on PostgreSQL: tracks, dropped-track records, sensors and the purge log.
-- Every instant is Unix milliseconds (UTC), as in the SQLite store; read one with to_timestamp(col / 1000.0).
--
-- tracks and dropped are partitioned twice: by LIST on class, the whole days of retention the row was
-- stored under, then by RANGE on day. Leaves are named tracks_cNNNN_dYYYYMMDD; the store creates them ahead
-- of time and, for a row that arrives early or late, on demand. Retention drops whole leaves (see purge.go)
-- and never runs DELETE on these tables: a deleted row's bytes stay in the table's files until the page is
-- rewritten, a dropped table's files are truncated at commit and unlinked at the next checkpoint.

-- One row per track segment as stored after minimisation; the points are the compact blob of
-- backoffice/codec.go.
CREATE TABLE tracks (
    store       text     NOT NULL,   -- ashiato/v1/<store>/<sensor>/tracks
    sensor      text     NOT NULL,
    track       text     NOT NULL,   -- the sensor's random track id (hex)
    seg         integer  NOT NULL,   -- segment number, 0-based
    day         date     NOT NULL,   -- the day of start_ms in the office's time zone (analytics.timezone)
    class       integer  NOT NULL,   -- whole days from the start of day to expires_ms, at least 1
    final       boolean  NOT NULL,
    space       text     NOT NULL CHECK (space IN ('image', 'floor')),
    w           integer  NOT NULL,
    h           integer  NOT NULL,
    start_ms    bigint   NOT NULL,   -- first point, rounded down to the minute when minimised
    duration_ms bigint   NOT NULL,
    n_points    integer  NOT NULL,
    entry_x     double precision NOT NULL,
    entry_y     double precision NOT NULL,
    exit_x      double precision NOT NULL,
    exit_y      double precision NOT NULL,
    minimised   boolean  NOT NULL,
    expires_ms  bigint   NOT NULL,   -- end of the retention promised when it was received
    points      bytea    NOT NULL,
    PRIMARY KEY (store, sensor, track, seg, day, class)
) PARTITION BY LIST (class);
CREATE INDEX tracks_by_start  ON tracks (store, sensor, start_ms);
CREATE INDEX tracks_by_expiry ON tracks (expires_ms);

-- Tracks not stored, without their points. day is the UTC day the track started (all a dropped record
-- knows of its start), so these partitions are cut at UTC midnight.
CREATE TABLE dropped (
    store       text     NOT NULL,
    sensor      text     NOT NULL,
    track       text     NOT NULL,
    seg         integer  NOT NULL,
    day         date     NOT NULL,   -- UTC day the track started
    class       integer  NOT NULL,   -- whole days from the start of day to expires_ms, at least 1
    reason      text     NOT NULL,   -- duration, extent, expired
    expires_ms  bigint   NOT NULL,
    PRIMARY KEY (store, sensor, track, seg, day, class)
) PARTITION BY LIST (class);
CREATE INDEX dropped_by_expiry ON dropped (expires_ms);

-- The latest state of every sensor (JSON text as received and validated), and the promises of its notice.
CREATE TABLE sensors (
    store                    text    NOT NULL,
    sensor                   text    NOT NULL,
    first_seen_ms            bigint  NOT NULL,
    last_seen_ms             bigint  NOT NULL,
    status                   text,
    state                    text,
    birth                    bigint,
    status_ms                bigint,
    privacy                  text,
    privacy_state            text,
    privacy_ms               bigint,
    stats                    text,
    stats_ms                 bigint,
    notice                   text,
    notice_hash              text,
    notice_ms                bigint,
    retention_days           integer,   -- NULL until a notice arrives
    aggregate_retention_days integer,
    PRIMARY KEY (store, sensor)
);

-- One row per purge. erasure says what made the deletion unrecoverable; erased is true when it completed.
CREATE TABLE purge_runs (
    id       bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms    bigint  NOT NULL,
    tracks   integer NOT NULL,
    dropped  integer NOT NULL,
    erasure  text    NOT NULL,
    erased   boolean NOT NULL
);

-- What each purge removed per sensor. No track data.
CREATE TABLE purge_log (
    run_id     bigint  NOT NULL REFERENCES purge_runs (id),
    store      text    NOT NULL,
    sensor     text    NOT NULL,
    days       integer NOT NULL,
    cutoff_ms  bigint  NOT NULL,
    tracks     integer NOT NULL,
    dropped    integer NOT NULL,
    oldest_ms  bigint,
    newest_ms  bigint,
    PRIMARY KEY (run_id, store, sensor)
);
