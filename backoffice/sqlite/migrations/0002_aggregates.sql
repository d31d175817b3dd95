-- The analytics aggregates (backoffice/analytics). They hold no track ids: counts, seconds and histograms
-- per 15-minute bucket, computed per unit (one sensor's tracks whose first segment started in one UTC
-- hour), kept under the notice's aggregate_retention_days and purged like tracks.

-- One row per unit: what it was computed from, and until when it may be kept.
CREATE TABLE agg_units (
    store        TEXT    NOT NULL,
    sensor       TEXT    NOT NULL,
    hour_ms      INTEGER NOT NULL,   -- the unit's UTC hour
    layout_hash  TEXT    NOT NULL,   -- the layout it was computed with
    digest       TEXT    NOT NULL,   -- the tracks it was computed from (a count per hour window)
    tracks       INTEGER NOT NULL,   -- tracks in the unit
    computed_ms  INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,   -- end of the aggregate retention promised
    PRIMARY KEY (store, sensor, hour_ms)
);
CREATE INDEX agg_units_by_expiry ON agg_units (expires_ms);

-- One row per unit and 15-minute bucket: the aggregates, encoded by backoffice/analytics (JSON, format 1).
CREATE TABLE agg_buckets (
    store     TEXT    NOT NULL,
    sensor    TEXT    NOT NULL,
    hour_ms   INTEGER NOT NULL,      -- the unit
    start_ms  INTEGER NOT NULL,      -- the bucket's start
    data      BLOB    NOT NULL,
    PRIMARY KEY (store, sensor, hour_ms, start_ms)
);
CREATE INDEX agg_buckets_by_start ON agg_buckets (store, start_ms);

-- The secret key of the noise added to published counts (one row).
CREATE TABLE analytics_key (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    key  BLOB    NOT NULL
);

-- What each purge removed of the aggregates.
ALTER TABLE purge_runs ADD COLUMN aggregate_hours INTEGER NOT NULL DEFAULT 0;
ALTER TABLE purge_log ADD COLUMN aggregate_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE purge_log ADD COLUMN aggregate_cutoff_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE purge_log ADD COLUMN aggregate_hours INTEGER NOT NULL DEFAULT 0;
