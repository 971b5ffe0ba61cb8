-- Inference gateway metrics: counters per minute, service, target and endpoint, flushed from each
-- isolate's in-memory aggregate (one statement per flush, never one write per request).
-- `name` is one of: requests, errors, bytes_in, bytes_out, latency_sum_ms, status:<code>,
-- failure:<timeout|network>, fallback:<reason>, latency_le_ms:<bound|inf> (a histogram bucket, not cumulative).
-- Minutes older than the retention are folded into minute 0, so totals only ever grow.
CREATE TABLE gateway_counters (
  minute INTEGER NOT NULL,              -- unix ms at the start of the minute; 0 = everything older than the retention
  service TEXT NOT NULL,
  target TEXT NOT NULL,                 -- primary | fallback
  endpoint TEXT NOT NULL,               -- namespace/name, or the URL's origin for URL targets
  name TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (minute, service, target, endpoint, name)
);
CREATE INDEX gateway_counters_endpoint ON gateway_counters (endpoint, minute);
