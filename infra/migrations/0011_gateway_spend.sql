-- Gateway spend on token-priced targets (HF Inference Providers, OpenAI-compatible APIs) lives in
-- gateway_counters, flushed by each isolate at most every 10 s (never one write per request), as
-- counters named spend_micro:<model>, tokens_in:<model>, tokens_out:<model>, priced and unpriced.
-- The day's gateway spend is the sum of spend_micro:* over the budget day's minutes; this index
-- lets the tick, /v1/status and the gateway's budget check read it without scanning every counter.
CREATE INDEX gateway_counters_by_name ON gateway_counters (name, minute);
