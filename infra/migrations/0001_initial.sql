-- budget-guardrail: the tick lease, the ledger, actions, events and routing.
-- Money is integer micro-USD; times are unix milliseconds.

-- One row per lease; a tick takes it with a single conditional UPDATE.
CREATE TABLE lease (
  name TEXT PRIMARY KEY,
  holder TEXT,
  until_ms INTEGER NOT NULL DEFAULT 0
);
INSERT INTO lease (name, holder, until_ms) VALUES ('tick', NULL, 0);

-- Last observation of each endpoint, the starting point of the next metering interval.
CREATE TABLE endpoint_state (
  endpoint TEXT PRIMARY KEY,            -- namespace/name
  observed_at INTEGER NOT NULL,
  billable_replicas INTEGER NOT NULL,
  price_micro_per_hour INTEGER,         -- NULL when the catalog has no price
  snapshot TEXT NOT NULL                -- JSON of the observation (no secrets: only the fields we model)
);

-- Spend per endpoint per budget day.
CREATE TABLE ledger (
  day TEXT NOT NULL,                    -- YYYY-MM-DD in the policy's time zone
  endpoint TEXT NOT NULL,
  spend_micro INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (day, endpoint)
);

-- The highest ladder level reached per budget day (a level reached stays reached that day).
CREATE TABLE budget_days (
  day TEXT PRIMARY KEY,
  level INTEGER NOT NULL DEFAULT 0,
  budget_micro INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Every automated action: intent first, then result, with before/after configuration and reason.
CREATE TABLE actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,             -- day:kind:endpoint, one per budget day
  day TEXT NOT NULL,
  kind TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  level INTEGER NOT NULL,
  mode TEXT NOT NULL,                   -- enforce | dry_run
  status TEXT NOT NULL,                 -- intent | done | failed | dry_run
  attempts INTEGER NOT NULL DEFAULT 1,
  reason TEXT NOT NULL,
  change TEXT NOT NULL,                 -- JSON of the change carried out
  before TEXT NOT NULL,                 -- JSON EndpointConfig before
  after TEXT,                           -- JSON EndpointConfig after (as read back from the provider)
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX actions_day ON actions (day);
CREATE INDEX actions_endpoint ON actions (endpoint, created_at);

-- The timeline: actions, alerts, ticks' problems, newest read first.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,                   -- action | alert | error
  kind TEXT NOT NULL,                   -- action kind or alert kind
  severity TEXT,                        -- info | warning | critical
  endpoint TEXT,
  title TEXT NOT NULL,
  message TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',      -- JSON figures / before / after
  dedup_key TEXT UNIQUE                 -- alerts: one per condition per budget day
);
CREATE INDEX events_at ON events (at DESC);
CREATE INDEX events_kind ON events (kind, at DESC);
CREATE INDEX events_endpoint ON events (endpoint, at DESC);

-- Routing mode per endpoint, read by the inference gateway.
CREATE TABLE routes (
  endpoint TEXT PRIMARY KEY,
  mode TEXT NOT NULL,                   -- primary | overflow | fallback
  fallback TEXT,
  reason TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One row per tick that ran (took the lease), for /v1/status and the timeline.
CREATE TABLE ticks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  scheduled_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  day TEXT,
  outcome TEXT NOT NULL,                -- running | ok | partial | blind | policy_invalid | error
  spend_micro INTEGER,
  budget_micro INTEGER,
  ratio REAL,
  level INTEGER,
  endpoints INTEGER,
  actions INTEGER,
  alerts INTEGER,
  subrequests INTEGER,
  error TEXT
);
CREATE INDEX ticks_started ON ticks (started_at DESC);
