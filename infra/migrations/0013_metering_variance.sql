-- budget-guardrail: the metered estimate's standard error (issue 13; docs/metering.md "How sure").
-- Each tick's accrual adds the variance of its error (micro-USD squared: the unknown instants of the
-- changes it places, the unknown share of each started run's last minute); a day's variances add up.
-- The pause waits for the estimate at 200 % less two standard errors, so noise alone does not pause.
-- Rows written before this migration carry none (0): their days count as certain.
ALTER TABLE ledger ADD COLUMN var_micro2 REAL NOT NULL DEFAULT 0;
