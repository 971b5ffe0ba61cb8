-- budget-guardrail: the started-minute allowance, kept apart (issue 13; docs/metering.md "The world the
-- simulator assumes"). With `metering.partial_minute: rounded_up` the estimate adds half a replica-minute
-- for each run it sees start: what a bill that rounds each run up shows and one that prorates does not.
-- The ledger keeps that part of each day's estimate; each billing read keeps it for the period it compared,
-- so /v1/status can show the drift both ways. Rows written before this migration carry none (0).
ALTER TABLE ledger ADD COLUMN rounding_micro INTEGER NOT NULL DEFAULT 0;
ALTER TABLE billing_usage ADD COLUMN metered_rounding_micro INTEGER;
