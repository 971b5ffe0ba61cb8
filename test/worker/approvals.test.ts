// Approval mode in the tick, inside workerd: actions at a level the policy names wait for a
// person; approved they run, rejected they do not, unanswered the policy's on_timeout decides.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { approvalsOfDay, listEvents } from "../../src/store/index.ts";
import { FLEET, guardrail, HOUR, MIN } from "../fixtures/http.ts";

const day = (d: number) => Date.UTC(2026, 4, d, 0, 0);
const decision = (op: "approve" | "reject", endpoint: string) => ({
  op,
  endpoint,
  action: "pause",
  reason: "checked the dashboard",
  actor: "alice",
});
const paused = (t: Awaited<ReturnType<ReturnType<typeof guardrail>["tick"]>>) =>
  t.executed.filter((x) => x.action.kind === "pause" && x.status === "applied").map((x) => x.action.endpoint);

describe("approval mode", () => {
  it("holds pauses for approval, alerts once, and runs the approved one on the next tick", async () => {
    const g = guardrail("appr-hold", "approvals: { shutdown: { wait_minutes: 15, on_timeout: hold } }");
    await g.admin.reset(FLEET);
    const T0 = day(1);
    await g.tick(T0);
    const t1 = await g.tick(T0 + HOUR);
    expect(paused(t1)).toEqual([]);
    // Other levels act at once; cpu, the service's fallback, is spared (issue 14). Issue 12: a pause
    // waiting for approval does not hold the lower rungs back, so big is capped while it waits.
    expect(t1.executed.map((x) => [x.action.kind, x.action.endpoint, x.status])).toEqual([
      ["scale_down", "appr-hold/big", "applied"],
      ["reroute", "appr-hold/summarizer", "applied"],
    ]);
    const asked = t1.events.filter((e) => e.kind === "approval_requested");
    expect(asked.map((e) => [e.endpoint, e.severity])).toEqual([
      ["appr-hold/big", "critical"],
      ["appr-hold/summarizer", "critical"],
    ]);
    expect(asked[0]?.message).toContain("approve or reject within 15 min, otherwise it is held for the rest of the day");
    expect((await g.tick(T0 + HOUR + MIN)).events.filter((e) => e.kind === "approval_requested")).toEqual([]);

    const ok = await g.post(decision("approve", "appr-hold/big"), T0 + HOUR + 2 * MIN);
    expect(ok.status).toBe(200);
    expect(ok.body.approval).toMatchObject({ action: "pause", endpoint: "appr-hold/big", status: "approved", decided_by: "alice" });
    const no = await g.post(decision("reject", "appr-hold/summarizer"), T0 + HOUR + 2 * MIN);
    expect(no.body.approval).toMatchObject({ status: "rejected" });
    expect((await g.post(decision("reject", "appr-hold/summarizer"), T0 + HOUR + 3 * MIN)).status).toBe(404); // decided already

    expect(paused(await g.tick(T0 + HOUR + 4 * MIN))).toEqual(["appr-hold/big"]);
    expect(paused(await g.tick(T0 + 2 * HOUR))).toEqual([]);
    const events = await listEvents(env.DB, { type: "override", limit: 10 });
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(["approve", "reject"]));
  });

  it("holds an unanswered request after the wait when the policy says hold, until a late approval", async () => {
    const g = guardrail("appr-timeout", "approvals: { shutdown: { wait_minutes: 10, on_timeout: hold } }");
    await g.admin.reset([FLEET[0] as (typeof FLEET)[number]]);
    const T0 = day(2);
    await g.tick(T0);
    await g.tick(T0 + 3 * HOUR); // $30 of $10
    const t = await g.tick(T0 + 3 * HOUR + 10 * MIN);
    expect(paused(t)).toEqual([]);
    expect(t.events.filter((e) => e.kind === "approval_expired").map((e) => e.title)).toEqual([
      "No answer in 10 min: holding pause of appr-timeout/big",
    ]);
    expect((await approvalsOfDay(env.DB, "2026-05-02"))[0]).toMatchObject({ status: "expired_hold", decidedBy: "timeout" });
    expect(paused(await g.tick(T0 + 3 * HOUR + 20 * MIN))).toEqual([]);
    await g.post(decision("approve", "appr-timeout/big"), T0 + 3 * HOUR + 21 * MIN);
    expect(paused(await g.tick(T0 + 3 * HOUR + 22 * MIN))).toEqual(["appr-timeout/big"]);
  });

  it("runs an unanswered request after the wait when the policy says run", async () => {
    const g = guardrail("appr-run", "approvals: { shutdown: { wait_minutes: 10, on_timeout: run } }");
    await g.admin.reset([FLEET[0] as (typeof FLEET)[number]]);
    const T0 = day(3);
    await g.tick(T0);
    expect(paused(await g.tick(T0 + 3 * HOUR))).toEqual([]);
    expect(paused(await g.tick(T0 + 3 * HOUR + 9 * MIN))).toEqual([]);
    const t = await g.tick(T0 + 3 * HOUR + 10 * MIN);
    expect(paused(t)).toEqual(["appr-run/big"]);
    expect(t.events.map((e) => e.kind)).toContain("approval_expired");
  });

  it("says, when it asks in dry run, that an approval only records what would be done", async () => {
    const g = guardrail("appr-dry", "approvals: { shutdown: { wait_minutes: 10, on_timeout: run } }", "dry_run");
    await g.admin.reset([FLEET[0] as (typeof FLEET)[number]]);
    const T0 = day(4);
    await g.tick(T0);
    const asked = (await g.tick(T0 + 3 * HOUR)).events.filter((e) => e.kind === "approval_requested");
    expect(asked.map((e) => e.endpoint)).toEqual(["appr-dry/big"]);
    expect(asked[0]?.title).toBe("[dry run] Approve pause of appr-dry/big?");
    expect(asked[0]?.message).toContain("dry run: approved or not, nothing changes");
    const expired = (await g.tick(T0 + 3 * HOUR + 10 * MIN)).events.filter((e) => e.kind === "approval_expired");
    expect(expired[0]?.title).toBe("[dry run] No answer in 10 min: running pause of appr-dry/big");
    expect(await g.admin.mutations()).toEqual([]);
  });
});
