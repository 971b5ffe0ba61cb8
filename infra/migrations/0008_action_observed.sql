-- The provider's answer to an action, kept with the action; a trigger copies its state and scaling
-- into the endpoint's stored observation (status page, /v1/status, the gateway) in the same
-- statement, so recording a result stays one D1 query per action (Free allows 50 per tick).
-- observed_at and billable_replicas are left alone: the next tick meters from them.
ALTER TABLE actions ADD COLUMN observed TEXT;

CREATE TRIGGER actions_observed_snapshot AFTER UPDATE OF observed ON actions
WHEN NEW.observed IS NOT NULL
BEGIN
  UPDATE endpoint_state SET snapshot = json_set(snapshot,
      '$.state', json_extract(NEW.observed, '$.state'),
      '$.readyReplica', json_extract(NEW.observed, '$.readyReplica'),
      '$.targetReplica', json_extract(NEW.observed, '$.targetReplica'),
      '$.minReplica', json_extract(NEW.observed, '$.minReplica'),
      '$.maxReplica', json_extract(NEW.observed, '$.maxReplica'),
      '$.scaleToZeroTimeout', json_extract(NEW.observed, '$.scaleToZeroTimeout'))
    WHERE endpoint = json_extract(NEW.observed, '$.endpoint');
END;
