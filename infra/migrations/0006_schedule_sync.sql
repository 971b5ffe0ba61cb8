-- Predictive schedules: the Worker-side sync into EventBridge Scheduler (schedules.sync_from_worker).
-- One row per distinct desired state (hash of the schedules the policy asks for): the first tick
-- that sees a new hash claims it and syncs; a failed sync is retried by later ticks.
CREATE TABLE schedule_syncs (
  hash TEXT PRIMARY KEY,                -- SHA-256 of the desired schedules (JSON)
  status TEXT NOT NULL,                 -- running | done | failed
  attempts INTEGER NOT NULL DEFAULT 1,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  summary TEXT,                         -- what changed, for /v1/events and people
  error TEXT
);
CREATE INDEX schedule_syncs_started ON schedule_syncs (started_at DESC);
