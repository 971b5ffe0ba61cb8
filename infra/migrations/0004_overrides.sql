-- Human control: overrides, the override webhook's seen signatures (replay refusal), and
-- approvals of actions that wait for a person. Times are unix milliseconds.

-- Every override a person made; active while created_at <= now < until and not ended early.
CREATE TABLE overrides (
  id TEXT PRIMARY KEY,                  -- ovr_<random>
  op TEXT NOT NULL,                     -- suspend | raise_budget | force | ack
  endpoint TEXT,                        -- namespace/name, '*' for all, NULL when not about one endpoint
  params TEXT NOT NULL DEFAULT '{}',    -- JSON: {budget_usd, percent} | {action} | {condition}
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  source TEXT NOT NULL,                 -- webhook | slack
  day TEXT NOT NULL,                    -- budget day it was made on
  created_at INTEGER NOT NULL,
  until INTEGER NOT NULL,
  ended_at INTEGER,                     -- set when ended early (DELETE /v1/overrides/{id}, /guardrail resume)
  ended_by TEXT
);
CREATE INDEX overrides_until ON overrides (until);

-- Signatures of accepted override requests, kept a little longer than the 5-minute window.
CREATE TABLE seen_signatures (
  signature TEXT PRIMARY KEY,
  seen_at INTEGER NOT NULL
);
CREATE INDEX seen_signatures_at ON seen_signatures (seen_at);

-- Actions that wait for a person's approval (policy `approvals`), one per action key.
CREATE TABLE approvals (
  key TEXT PRIMARY KEY,                 -- the action's key, day:kind:endpoint
  day TEXT NOT NULL,
  kind TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  level INTEGER NOT NULL,
  reason TEXT NOT NULL,                 -- why the guardrail wants the action
  requested_at INTEGER NOT NULL,
  deadline INTEGER NOT NULL,
  on_timeout TEXT NOT NULL,             -- run | hold
  status TEXT NOT NULL,                 -- pending | approved | rejected | expired_run | expired_hold
  decided_by TEXT,
  decided_at INTEGER,
  note TEXT
);
CREATE INDEX approvals_day ON approvals (day, status);
