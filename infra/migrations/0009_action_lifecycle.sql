-- budget-guardrail: the action state machine (src/core/lifecycle.ts). actions.status now holds
-- intent | applied | failed | dry_run | restored | superseded | left_by_person; the restore
-- bookkeeping that lived in restore_status moves into it, so one column says where an action is.
-- `expected` is the configuration the action was to leave: reconciliation compares what HF reports
-- with it, so a change HF applied but never acknowledged becomes `applied` (and restorable).

ALTER TABLE actions ADD COLUMN expected TEXT;

-- Existing rows stay readable: done -> applied, and restore_status folded in.
UPDATE actions SET status = 'applied' WHERE status = 'done';
UPDATE actions SET status = 'restored' WHERE status = 'applied' AND restore_status = 'done';
UPDATE actions SET status = 'left_by_person' WHERE status = 'applied' AND restore_status = 'skipped';
-- An applied row's expected state is the after it recorded.
UPDATE actions SET expected = after WHERE expected IS NULL AND after IS NOT NULL;

-- Reconciliation reads every unresolved row (intent, failed) each tick; restore reads applied rows.
CREATE INDEX actions_status ON actions (status, day);
-- The per-endpoint claim: at most one live intent per endpoint (see claimAction).
CREATE INDEX actions_endpoint_status ON actions (endpoint, status);
