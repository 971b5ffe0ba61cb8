// Policy crons (Unix, five fields) to EventBridge Scheduler expressions, and fire times in a time
// zone with Scheduler's daylight-saving rules.
import { describe, expect, it } from "vitest";
import { instantsOf, nextFires, parseCron } from "../../src/schedule/index.ts";

const spec = (c: string) => {
  const r = parseCron(c);
  if (!r.ok) throw new Error(r.error);
  return r.spec;
};
const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString().slice(0, 16));

describe("cron translation to EventBridge Scheduler", () => {
  it.each([
    ["0 8 * * 1-5", "cron(0 8 ? * MON-FRI *)"],
    ["0 18 * * 1-5", "cron(0 18 ? * MON-FRI *)"],
    ["30 12 * * *", "cron(30 12 * * ? *)"],
    ["0 9 1 * *", "cron(0 9 1 * ? *)"],
    ["*/15 9-17 * * mon-fri", "cron(0,15,30,45 9-17 ? * MON-FRI *)"],
    ["0 7 * * 0,6", "cron(0 7 ? * SUN,SAT *)"],
    ["0 7 * * 5-7", "cron(0 7 ? * SUN,FRI,SAT *)"],
    ["0 0 1 jan,jul *", "cron(0 0 1 1,7 ? *)"],
    ["0 6,12,18 * * 1,3,5", "cron(0 6,12,18 ? * MON,WED,FRI *)"],
  ])("%s -> %s", (unix, aws) => {
    expect(spec(unix).aws).toBe(aws);
  });

  it.each([
    ["0 8 * *", "expected 5 fields"],
    ["60 8 * * *", "minute: 60 is outside 0-59"],
    ["0 24 * * *", "hour: 24 is outside 0-23"],
    ["0 8 15 * 1", "both set"],
    ["0 8 * * 5-1", "runs backwards"],
    ["0 8 * * */0", "positive whole number"],
    ["0 8 * * funday", "not a number or a name"],
  ])("refuses %s with a clear error", (bad, message) => {
    const r = parseCron(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });
});

describe("fire times across daylight-saving changes", () => {
  it("keeps 08:00 New York on weekdays across the March change (13:00Z before, 12:00Z after)", () => {
    const fires = nextFires(spec("0 8 * * 1-5"), "America/New_York", Date.UTC(2026, 2, 5, 14), 3);
    expect(iso(fires)).toEqual(["2026-03-06T13:00", "2026-03-09T12:00", "2026-03-10T12:00"]);
  });

  it("keeps 18:00 Paris across the October change (16:00Z before, 17:00Z after)", () => {
    const fires = nextFires(spec("0 18 * * *"), "Europe/Paris", Date.UTC(2026, 9, 24, 12), 2);
    expect(iso(fires)).toEqual(["2026-10-24T16:00", "2026-10-25T17:00"]);
  });

  it("skips a local time that the spring jump removes (02:30 New York on 8 March 2026)", () => {
    const fires = nextFires(spec("30 2 * * *"), "America/New_York", Date.UTC(2026, 2, 7, 12), 2);
    expect(iso(fires)).toEqual(["2026-03-09T06:30", "2026-03-10T06:30"]);
  });

  it("fires once at a local time the autumn change repeats (01:30 New York on 1 November 2026)", () => {
    expect(instantsOf(Date.UTC(2026, 10, 1, 1, 30), "America/New_York")).toHaveLength(2);
    const fires = nextFires(spec("30 1 * * *"), "America/New_York", Date.UTC(2026, 9, 31, 12), 2);
    expect(iso(fires)).toEqual(["2026-11-01T05:30", "2026-11-02T06:30"]);
  });

  it("handles half-hour offsets and no DST (Asia/Kolkata)", () => {
    expect(iso(nextFires(spec("0 9 * * *"), "Asia/Kolkata", Date.UTC(2026, 0, 1), 1))).toEqual(["2026-01-01T03:30"]);
  });

  it("finds a 29 February schedule years ahead", () => {
    expect(iso(nextFires(spec("0 0 29 2 *"), "UTC", Date.UTC(2026, 0, 1), 1))).toEqual(["2028-02-29T00:00"]);
  });
});
