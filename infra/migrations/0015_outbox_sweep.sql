-- budget-guardrail: the outbox's sweep by event id instead of the last hour. Each tick's outbox looks at
-- every alert and error event above `event_id` that has no notice, whatever its age (a tick that
-- recorded it and died, D1 or the cron down for hours). A trigger moves the mark up as notices are
-- stored, in their own transaction, to just below the oldest alert still without one (or to the newest
-- event when none is left), so a tick reads only the alerts waiting, and no statement is added to it.
-- An alert found more than a day after it was recorded gets its notice with its deliveries failed
-- ("expired"), shown in /v1/status (src/notify/outbox.ts).

CREATE TABLE outbox_sweep (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  event_id INTEGER NOT NULL             -- every alert/error event with an id at or below it has its notice
);

-- The alert and error events by id: the sweep reads these above the mark, never the actions' events.
CREATE INDEX events_alerts ON events (id) WHERE type IN ('alert', 'error');

CREATE TRIGGER outbox_sweep_advance AFTER INSERT ON notices WHEN NEW.event_id IS NOT NULL
BEGIN
  UPDATE outbox_sweep SET event_id = COALESCE(
    (SELECT MIN(e.id) - 1 FROM events e
     WHERE e.id > outbox_sweep.event_id AND e.type IN ('alert', 'error')
       AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.event_id = e.id)),
    (SELECT MAX(id) FROM events))
  WHERE id = 1;
END;

-- From the upgrade on: events of the last day without a notice are still queued (the old sweep saw only
-- the last hour), older ones are left as they were.
INSERT INTO outbox_sweep (id, event_id)
SELECT 1, COALESCE((SELECT MAX(id) FROM events WHERE at < CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 86400000), 0);
