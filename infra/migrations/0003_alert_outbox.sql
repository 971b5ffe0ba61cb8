-- budget-guardrail: the alert outbox (notices and their delivery to each channel) and the alert
-- conditions that hold, for recovery notices. Times are unix milliseconds.

-- A notice to send: an alert or recovery from the events timeline, or a rate-limit summary. Written
-- before any send, in the same batch as its deliveries, so a crash never loses one.
CREATE TABLE notices (
  key TEXT PRIMARY KEY,                 -- event:<id> | summary:<channel>:<hour>
  notice TEXT NOT NULL,                 -- alert | recovery | summary
  event_id INTEGER UNIQUE,              -- the timeline event it announces (NULL for summaries)
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,               -- info | warning | critical
  endpoint TEXT,
  title TEXT NOT NULL,
  body TEXT NOT NULL,                   -- JSON: everything a channel renders the message from
  created_at INTEGER NOT NULL
);

-- One row per notice and channel: attempts, the next try, the result.
CREATE TABLE deliveries (
  notice_key TEXT NOT NULL REFERENCES notices (key),
  channel TEXT NOT NULL,                -- slack | sns
  status TEXT NOT NULL,                 -- pending | sent | failed | held (over the rate limit: the summary speaks for it)
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,             -- a pending delivery is not tried before this
  hour INTEGER NOT NULL,                -- clock hour it was queued in (unix ms / 3600000), for the rate limit
  sent_at INTEGER,
  provider_id TEXT,                     -- SNS MessageId
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (notice_key, channel)
);
CREATE INDEX deliveries_due ON deliveries (status, next_at);
CREATE INDEX deliveries_hour ON deliveries (channel, hour);

-- Alert conditions (src/core/alert-kinds.ts) raised by recent ticks, one row per alert kind and endpoint:
-- while active the planner keeps raising them; when one clears, a single recovery notice goes out.
CREATE TABLE alert_conditions (
  key TEXT PRIMARY KEY,                 -- <kind>:<endpoint or "fleet">
  kind TEXT NOT NULL,
  endpoint TEXT,
  severity TEXT NOT NULL,
  title TEXT NOT NULL,
  dedup_key TEXT NOT NULL,              -- the latest alert's dedup key
  state TEXT NOT NULL,                  -- active | cleared
  episode INTEGER NOT NULL,             -- how many times it became active
  since INTEGER NOT NULL,               -- when this episode began
  cleared_at INTEGER
);
