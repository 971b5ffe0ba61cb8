-- budget-guardrail: fewer D1 statements per tick (Free allows 50 per invocation), no guarantee given up.
--
-- 1. An action's result and its timeline events in one statement. The result's UPDATE sets
--    result_events to {"after": <the newest event id before it>, "events": [...]}; a BEFORE trigger
--    inserts the events (INSERT OR IGNORE: an alert's dedup key still keeps it once) for the row the
--    UPDATE's WHERE chose, so the events land with the result or not at all, in one statement; the
--    UPDATE's RETURNING reads back the events above "after" (the ones this statement inserted, with
--    their ids), which it sees because the trigger ran before the row changed. An AFTER trigger clears
--    the column: the events live in the timeline only. (BEFORE, not AFTER: RETURNING does not see what
--    an AFTER trigger wrote; the BEFORE trigger writes only to events, never to the row being updated.)
ALTER TABLE actions ADD COLUMN result_events TEXT;

CREATE TRIGGER actions_result_events BEFORE UPDATE OF result_events ON actions
WHEN NEW.result_events IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO events (at, type, kind, severity, endpoint, title, message, data, dedup_key)
  SELECT value ->> '$.at', value ->> '$.type', value ->> '$.kind', value ->> '$.severity', value ->> '$.endpoint',
         value ->> '$.title', value ->> '$.message', value ->> '$.data', value ->> '$.dedupKey'
  FROM json_each(NEW.result_events, '$.events');
END;

CREATE TRIGGER actions_result_events_clear AFTER UPDATE OF result_events ON actions
WHEN NEW.result_events IS NOT NULL
BEGIN
  UPDATE actions SET result_events = NULL WHERE id = NEW.id;
END;

-- 2. The tick's last write releases its lease: the tick's row names the lease's holder, and a trigger
--    releases the tick lease when the row gets its outcome (finishTick, or failTick while it still
--    ran), in the same statement. A holder releases only its own lease.
ALTER TABLE ticks ADD COLUMN holder TEXT;

CREATE TRIGGER ticks_release_lease AFTER UPDATE OF finished_at ON ticks
WHEN NEW.finished_at IS NOT NULL AND NEW.holder IS NOT NULL
BEGIN
  UPDATE lease SET until_ms = 0 WHERE name = 'tick' AND holder = NEW.holder;
END;
