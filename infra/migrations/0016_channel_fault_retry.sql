-- A channel found misconfigured is tried again at most once an hour (src/notify/outbox.ts): a fix made
-- outside the guardrail (the SNS topic policy, its KMS key, a Slack admin setting) changes nothing the
-- guardrail can see, so only a later try can find it fixed. When it was last tried; NULL: not since `since`.
ALTER TABLE channel_faults ADD COLUMN tried_at INTEGER;
