-- budget-guardrail: the outbox's sweep by event id instead of the last hour. Every alert and error event
-- above `event_id` is looked at by each tick's outbox until it has a notice, whatever its age (a tick
-- that recorded it and died, D1 or the cron down for hours); the tick that queues them moves `event_id`
-- up in the same batch as their notices. An alert found more than a day after it was recorded gets its
-- notice with its deliveries failed ("expired"), shown in /v1/status (src/notify/outbox.ts).

CREATE TABLE outbox_sweep (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  event_id INTEGER NOT NULL             -- every alert/error event with an id at or below it has its notice
);

-- From the upgrade on: events of the last day without a notice are still queued (the old sweep saw only
-- the last hour), older ones are left as they were.
INSERT INTO outbox_sweep (id, event_id)
SELECT 1, COALESCE((SELECT MAX(id) FROM events WHERE at < CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 86400000), 0);
