-- budget-guardrail: alert conditions of named budgets under their own keys. Before, a named budget's
-- fleet-wide conditions (budget_level, hourly_burn, forecast) shared the fleet's key `<kind>:fleet`;
-- the code now keys them `<kind>:budget:<name>` (src/notify/conditions.ts, conditionKey). A row left under
-- the old key by a named budget's alert would read as cleared on the first tick after the upgrade and
-- send a spurious "Resolved". Each such row (its dedup key names a budget) moves to its budget's key,
-- where the tick finds it holding, or clears it with the right recovery; a row whose new key is already
-- taken is dropped silently.
--   budget_level: <day>:budget_level:<level>:<name>   (the fleet's: <day>:budget_level:<level>)
--   forecast:     <day>:forecast:<ratio>:<name>       (the fleet's: <day>:forecast:<ratio>)
--   hourly_burn:  <day>:hourly_burn:budget:<name>     (the fleet's: <day>:hourly_burn:fleet)
-- A budget_level alert under a raise carries `:raise:<id>` after all of that (src/core/overrides.ts), and
-- the code's dry-run level alerts `:dry_run`: both are cut off before the name is read, so the fleet's own
-- row under a raise stays where it is.

CREATE TABLE rekey_0014 AS
WITH shared AS (
  SELECT key, kind, substr(dedup_key, instr(dedup_key, ':' || kind || ':') + length(kind) + 2) AS rest0
  FROM alert_conditions
  WHERE endpoint IS NULL AND key = kind || ':fleet' AND kind IN ('budget_level', 'hourly_burn', 'forecast')
),
unraised AS (
  SELECT key, kind, CASE WHEN instr(rest0, ':raise:') > 0 THEN substr(rest0, 1, instr(rest0, ':raise:') - 1) ELSE rest0 END AS rest1
  FROM shared
),
core AS (
  SELECT key, kind, CASE WHEN rest1 LIKE '%:dry_run' THEN substr(rest1, 1, length(rest1) - 8) ELSE rest1 END AS rest
  FROM unraised
)
SELECT key, kind || ':budget:' || CASE
    WHEN kind = 'hourly_burn' THEN CASE WHEN rest LIKE 'budget:%' THEN substr(rest, 8) END
    ELSE CASE WHEN instr(rest, ':') > 0 THEN substr(rest, instr(rest, ':') + 1) END
  END AS new_key
FROM core;

DELETE FROM rekey_0014 WHERE new_key IS NULL OR new_key LIKE '%:budget:';

UPDATE OR IGNORE alert_conditions SET key = (SELECT new_key FROM rekey_0014 WHERE rekey_0014.key = alert_conditions.key)
WHERE key IN (SELECT key FROM rekey_0014);

-- Left under the old key with a budget's dedup key: its new key was taken by a row of its own.
DELETE FROM alert_conditions WHERE key IN (SELECT key FROM rekey_0014);

DROP TABLE rekey_0014;
