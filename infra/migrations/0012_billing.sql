-- budget-guardrail: reconciliation with HF's billing usage (issue 13, item 6; docs/metering.md).
-- One row per guarded namespace: the last hourly read of the Hub's billing usage for the current
-- billing period (GET /api/organizations/{name}/billing/usage, or /api/settings/billing/usage for
-- the token's own user), beside what the guardrail metered over the same period at that moment.
CREATE TABLE billing_usage (
  namespace TEXT PRIMARY KEY,
  kind TEXT NOT NULL,                   -- org | user: which Hub route was read
  attempted_at INTEGER NOT NULL,        -- last read tried (ms): the hourly cadence counts from it
  fetched_at INTEGER,                   -- last read that answered and parsed; the figures below are from it
  entity_name TEXT,                     -- period.entityName as HF answered it
  period_start INTEGER,                 -- period.periodStart (ms)
  period_end INTEGER,                   -- period.periodEnd (ms)
  billed_micro INTEGER,                 -- sum of usage.Endpoints[].totalCostMicroUSD, rounded to integer micro-USD
  free_grant_micro INTEGER,             -- the part of it on items marked freeGrant
  items INTEGER,                        -- usage.Endpoints[] items in the answer
  metered_micro INTEGER,                -- the ledger's endpoint spend of this namespace over the period's budget days, at fetched_at
  metered_from_day TEXT,                -- first budget day counted (the day periodStart falls on)
  aligned INTEGER,                      -- 1 when periodStart is a budget-day midnight (the ledger's days fit the period exactly)
  error_code TEXT,                      -- the last read's failure (ProviderErrorCode), NULL after a good read
  error_status INTEGER,
  error_message TEXT,
  error_since INTEGER                   -- first failing read of the current run of failures
);
