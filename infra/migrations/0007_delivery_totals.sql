-- budget-guardrail: how many deliveries each channel has per alert kind and status, kept by triggers
-- on `deliveries` in the same transaction as every insert and status change, so GET /metrics reads a
-- few rows (channels x kinds x statuses) instead of counting the whole outbox on every scrape.
-- Rows are never deleted: the counts of sent, failed and held only grow; pending is the current number.

CREATE TABLE delivery_totals (
  channel TEXT NOT NULL,                -- slack | sns
  kind TEXT NOT NULL,                   -- the notice's kind: an alert kind, provider_*, rate_limited
  status TEXT NOT NULL,                 -- pending | sent | failed | held
  n INTEGER NOT NULL,
  PRIMARY KEY (channel, kind, status)
) WITHOUT ROWID;

INSERT INTO delivery_totals (channel, kind, status, n)
SELECT d.channel, n.kind, d.status, COUNT(*) FROM deliveries d JOIN notices n ON n.key = d.notice_key
GROUP BY d.channel, n.kind, d.status;

-- The notice is written before its deliveries (same batch), so its kind is there to read.
CREATE TRIGGER delivery_totals_insert AFTER INSERT ON deliveries
BEGIN
  INSERT INTO delivery_totals (channel, kind, status, n)
  SELECT NEW.channel, kind, NEW.status, 1 FROM notices WHERE key = NEW.notice_key
  ON CONFLICT (channel, kind, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER delivery_totals_status AFTER UPDATE OF status ON deliveries
WHEN OLD.status IS NOT NEW.status
BEGIN
  UPDATE delivery_totals SET n = n - 1
  WHERE channel = OLD.channel AND status = OLD.status AND kind = (SELECT kind FROM notices WHERE key = OLD.notice_key);
  INSERT INTO delivery_totals (channel, kind, status, n)
  SELECT NEW.channel, kind, NEW.status, 1 FROM notices WHERE key = NEW.notice_key
  ON CONFLICT (channel, kind, status) DO UPDATE SET n = n + 1;
END;
