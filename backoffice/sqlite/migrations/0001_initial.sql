-- The first schema of the back office. Every time is Unix milliseconds (UTC); read one in the sqlite3
-- CLI with datetime(col/1000, 'unixepoch').

-- One row per track segment as stored after minimisation. The points are a compact binary blob (see
-- backoffice/codec.go): one row per point or JSON would be ten times larger.
CREATE TABLE tracks (
    id          INTEGER PRIMARY KEY,
    store       TEXT    NOT NULL,            -- ashiato/v1/<store>/<sensor>/tracks
    sensor      TEXT    NOT NULL,
    track       TEXT    NOT NULL,            -- the sensor's random track id (hex)
    seg         INTEGER NOT NULL,            -- segment number, 0-based
    final       INTEGER NOT NULL,            -- 1 on the last segment of a track
    space       TEXT    NOT NULL CHECK (space IN ('image', 'floor')),
    w           INTEGER NOT NULL,            -- image size in pixels
    h           INTEGER NOT NULL,
    start_ms    INTEGER NOT NULL,            -- first point, rounded down to the minute when minimised
    duration_ms INTEGER NOT NULL,            -- first to last point
    n_points    INTEGER NOT NULL,
    entry_x     REAL    NOT NULL,            -- first point (metres, or fractions of the image)
    entry_y     REAL    NOT NULL,
    exit_x      REAL    NOT NULL,            -- last point
    exit_y      REAL    NOT NULL,
    minimised   INTEGER NOT NULL,            -- 1 when the minimisation rules were applied
    expires_ms  INTEGER NOT NULL,            -- end of the retention promised when it was received
    points      BLOB    NOT NULL,            -- format 1: see backoffice/codec.go
    UNIQUE (store, sensor, track, seg)
);
CREATE INDEX tracks_by_start   ON tracks (store, sensor, start_ms);
CREATE INDEX tracks_by_expiry  ON tracks (expires_ms);

-- Tracks not stored, without their points: with them, tracks + dropped = what the sensors published.
CREATE TABLE dropped (
    id          INTEGER PRIMARY KEY,
    store       TEXT    NOT NULL,
    sensor      TEXT    NOT NULL,
    track       TEXT    NOT NULL,
    seg         INTEGER NOT NULL,
    reason      TEXT    NOT NULL,            -- duration, extent, expired
    day         TEXT    NOT NULL,            -- UTC day the track started, YYYY-MM-DD
    expires_ms  INTEGER NOT NULL,
    UNIQUE (store, sensor, track, seg)
);
CREATE INDEX dropped_by_expiry ON dropped (expires_ms);
CREATE INDEX dropped_by_day    ON dropped (store, sensor, day);

-- The latest state of every sensor: the last message of each retained topic and of stats (JSON text as
-- received and validated), and the promises of its notice.
CREATE TABLE sensors (
    store                    TEXT    NOT NULL,
    sensor                   TEXT    NOT NULL,
    first_seen_ms            INTEGER NOT NULL,
    last_seen_ms             INTEGER NOT NULL,   -- last message from the sensor itself (not its will)
    status                   TEXT,
    state                    TEXT,               -- online, offline, stopped
    birth                    INTEGER,
    status_ms                INTEGER,
    privacy                  TEXT,
    privacy_state            TEXT,               -- capturing, paused, stopped, fault
    privacy_ms               INTEGER,
    stats                    TEXT,
    stats_ms                 INTEGER,
    notice                   TEXT,
    notice_hash              TEXT,
    notice_ms                INTEGER,
    retention_days           INTEGER,            -- NULL until a notice arrives
    aggregate_retention_days INTEGER,
    PRIMARY KEY (store, sensor)
);

-- One row per purge. erasure says what made the deletion unrecoverable; erased is 1 when it completed.
CREATE TABLE purge_runs (
    id       INTEGER PRIMARY KEY,
    at_ms    INTEGER NOT NULL,
    tracks   INTEGER NOT NULL,
    dropped  INTEGER NOT NULL,
    erasure  TEXT    NOT NULL,
    erased   INTEGER NOT NULL
);

-- What each purge removed per sensor (only sensors with something removed). No track data.
CREATE TABLE purge_log (
    run_id     INTEGER NOT NULL REFERENCES purge_runs (id),
    store      TEXT    NOT NULL,
    sensor     TEXT    NOT NULL,
    days       INTEGER NOT NULL,   -- the retention applied
    cutoff_ms  INTEGER NOT NULL,   -- tracks that started before this were deleted
    tracks     INTEGER NOT NULL,
    dropped    INTEGER NOT NULL,
    oldest_ms  INTEGER,            -- earliest and latest start of the deleted tracks
    newest_ms  INTEGER,
    PRIMARY KEY (run_id, store, sensor)
);
