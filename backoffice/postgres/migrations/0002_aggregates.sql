-- The analytics aggregates (backoffice/analytics): counts, seconds and histograms per 15-minute bucket, per
-- unit (one sensor's tracks whose first segment started in one UTC hour). No track ids.
CREATE TABLE agg_units (
    store        text    NOT NULL,
    sensor       text    NOT NULL,
    hour_ms      bigint  NOT NULL,
    layout_hash  text    NOT NULL,
    digest       text    NOT NULL,
    tracks       integer NOT NULL,
    computed_ms  bigint  NOT NULL,
    expires_ms   bigint  NOT NULL,
    PRIMARY KEY (store, sensor, hour_ms)
);
CREATE INDEX agg_units_by_expiry ON agg_units (expires_ms);

CREATE TABLE agg_buckets (
    store     text    NOT NULL,
    sensor    text    NOT NULL,
    hour_ms   bigint  NOT NULL,
    start_ms  bigint  NOT NULL,
    data      bytea   NOT NULL,
    PRIMARY KEY (store, sensor, hour_ms, start_ms)
);
CREATE INDEX agg_buckets_by_start ON agg_buckets (store, start_ms);

-- The secret key of the noise added to published counts (one row).
CREATE TABLE analytics_key (
    id   integer PRIMARY KEY CHECK (id = 1),
    key  bytea   NOT NULL
);

ALTER TABLE purge_runs ADD COLUMN aggregate_hours integer NOT NULL DEFAULT 0;
ALTER TABLE purge_log ADD COLUMN aggregate_days integer NOT NULL DEFAULT 0;
ALTER TABLE purge_log ADD COLUMN aggregate_cutoff_ms bigint NOT NULL DEFAULT 0;
ALTER TABLE purge_log ADD COLUMN aggregate_hours integer NOT NULL DEFAULT 0;
