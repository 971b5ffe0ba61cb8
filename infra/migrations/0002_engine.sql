-- budget-guardrail: the decision engine's memory. Samples of each tick (kept a few hours) feed the
-- recent windows the triggers read; hourly rollups (kept 8 days) feed the baselines; the guard row
-- counts blind ticks; restore bookkeeping marks which actions were put back.

-- One row per endpoint per tick: the interval (at - duration_ms, at].
CREATE TABLE samples (
  endpoint TEXT NOT NULL,
  at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  spend_micro INTEGER NOT NULL,
  billable INTEGER NOT NULL,            -- billable replicas at `at`
  cold_start INTEGER NOT NULL,          -- 1 when it went from 0 to >= 1 billable replica in the interval
  metrics_ms INTEGER NOT NULL,          -- span the request deltas cover (0 without a metrics reading)
  requests REAL NOT NULL,
  errors REAL NOT NULL,                 -- 5xx answers
  pending REAL,
  p95_ms REAL,
  usage_pct REAL,
  counters TEXT,                        -- JSON per-replica counters of this reading, for the next delta
  PRIMARY KEY (endpoint, at)
);
CREATE INDEX samples_at ON samples (at);

-- One row per endpoint per complete clock hour (UTC), rolled up from the samples.
CREATE TABLE usage_hours (
  endpoint TEXT NOT NULL,
  hour INTEGER NOT NULL,                -- start of the hour, unix ms
  span_ms INTEGER NOT NULL,             -- how much of the hour the guardrail observed
  spend_micro INTEGER NOT NULL,
  metrics_ms INTEGER NOT NULL,
  requests REAL NOT NULL,
  PRIMARY KEY (endpoint, hour)
);
CREATE INDEX usage_hours_hour ON usage_hours (hour);

-- State the engine carries from tick to tick.
CREATE TABLE guard_state (
  name TEXT PRIMARY KEY,
  blind_streak INTEGER NOT NULL DEFAULT 0,  -- consecutive ticks that failed to list a namespace
  blind_since INTEGER,
  failed_namespaces TEXT NOT NULL DEFAULT '[]',
  last_sample_at INTEGER,                   -- the latest tick that wrote samples (hourly rollup trigger)
  updated_at INTEGER NOT NULL DEFAULT 0
);
INSERT INTO guard_state (name) VALUES ('guard');

-- Restore bookkeeping: NULL = not restored yet, 'done' = put back (or nothing left to), 'skipped' = a person changed it since.
ALTER TABLE actions ADD COLUMN restore_status TEXT;
ALTER TABLE actions ADD COLUMN restored_at INTEGER;
CREATE INDEX actions_restore ON actions (restore_status, status, day);
