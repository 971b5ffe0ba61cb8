-- budget-guardrail: metering as a best estimate with bounds, the last known price catalog, replica
-- starts, and channels found misconfigured (issue 13; docs/metering.md).

-- The ledger keeps the estimate (spend_micro, what the ladder reads) and its low and high bounds; the
-- part metered across observation gaps is kept apart, because a gap alone may not pause anything.
ALTER TABLE ledger ADD COLUMN low_micro INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger ADD COLUMN high_micro INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger ADD COLUMN gap_micro INTEGER NOT NULL DEFAULT 0;
-- Replica time no price was known for (metered at $0, and said so in /v1/status).
ALTER TABLE ledger ADD COLUMN unpriced_replica_ms INTEGER NOT NULL DEFAULT 0;
-- Rows written before this migration were metered at the larger count of each interval: their own bound.
UPDATE ledger SET low_micro = spend_micro, high_micro = spend_micro;

-- The last catalog each namespace answered, so metering goes on at known prices through a catalog outage.
CREATE TABLE price_catalog (
  namespace TEXT PRIMARY KEY,
  prices TEXT NOT NULL,                 -- JSON array of ComputePrice (integer micro-USD per replica-hour)
  fetched_at INTEGER NOT NULL           -- when HF last answered: prices older than an hour are stale
);

-- Replica starts (wakes from zero and scale-ups) and the initializing replica-time of each tick's interval.
ALTER TABLE samples ADD COLUMN starts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE samples ADD COLUMN initializing_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE samples ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0;   -- 1 when the interval was an observation gap
UPDATE samples SET starts = cold_start;

-- A channel that answered with a permanent failure (Slack 403/404/410, SNS NotFound, AuthorizationError,
-- KMS*): no more sends to that target until its configuration changes (target_hash differs).
CREATE TABLE channel_faults (
  channel TEXT PRIMARY KEY,             -- slack | sns
  target_hash TEXT NOT NULL,            -- SHA-256 of the webhook URL / topic ARN the failure is about
  error TEXT NOT NULL,
  since INTEGER NOT NULL
);
