// The real HfClient reads an endpoint's open-metrics export from the emulator over HTTP, inside workerd.
import { describe, expect, inject, it } from "vitest";
import { HfClient } from "../../src/providers/hf/index.ts";
import { emulatorAdmin } from "../fixtures/emulator-admin.ts";

const base = inject("hfBase");
const hf = new HfClient({ baseUrl: base, token: "hf_test_token", sleep: async () => {} });

describe("open-metrics through the HF client", () => {
  it("reports the simulated traffic: requests per ready replica, 5xx, p95, pending, usage", async () => {
    const ns = "om-traffic";
    const admin = emulatorAdmin(base, ns);
    await admin.reset([{ name: "chat", instanceType: "nvidia-l4", instanceSize: "x1", minReplica: 2, maxReplica: 2, replicas: 2 }]);
    await admin.traffic("chat", { rps: 10, errorRate: 0.1, p95Ms: 800, pending: 12, usagePct: 35 });
    const start = await admin.advanceTo(0);
    const first = await hf.getOpenMetrics(ns, "chat");
    await admin.advanceTo(start + 60_000);
    const second = await hf.getOpenMetrics(ns, "chat");
    if (!first.ok || !second.ok) throw new Error("open-metrics failed");
    expect(Object.keys(second.value.replicas)).toHaveLength(2);
    const total = (m: typeof second.value) => Object.values(m.replicas).reduce((s, r) => s + r.requests, 0);
    const errors = (m: typeof second.value) => Object.values(m.replicas).reduce((s, r) => s + r.errors, 0);
    // 10 rps for 60 s (plus the few wall-clock ms the test itself took).
    expect(total(second.value) - total(first.value)).toBeGreaterThanOrEqual(598);
    expect(total(second.value) - total(first.value)).toBeLessThan(700);
    expect((errors(second.value) - errors(first.value)) / (total(second.value) - total(first.value))).toBeCloseTo(0.1, 1);
    expect(second.value).toMatchObject({ p95LatencyMs: 800, pendingRequests: 12, usagePercent: 35 });
    const [call] = (await admin.calls()).filter((c) => c.path.endsWith("/open-metrics"));
    expect(call).toMatchObject({ method: "GET", path: `/v2/endpoint/${ns}/chat/open-metrics`, status: 200 });
  });

  it("exports no request series while the endpoint is paused, and new replica ids after it resumes", async () => {
    const ns = "om-paused";
    const admin = emulatorAdmin(base, ns);
    await admin.reset([{ name: "chat", instanceType: "nvidia-l4", instanceSize: "x1", minReplica: 1, maxReplica: 1, replicas: 1 }]);
    await admin.traffic("chat", { rps: 5 });
    // Move the emulator's clock a minute on before each read, so the counters have requests to show
    // whatever the machine's speed (on the wall clock alone a fast run could read zero requests).
    const minuteOn = async () => admin.advanceTo((await admin.advanceTo(0)) + 60_000);
    await minuteOn();
    const before = await hf.getOpenMetrics(ns, "chat");
    await hf.pauseEndpoint(ns, "chat");
    await minuteOn();
    const paused = await hf.getOpenMetrics(ns, "chat");
    await hf.resumeEndpoint(ns, "chat");
    await minuteOn();
    const after = await hf.getOpenMetrics(ns, "chat");
    expect(Object.keys(before.ok ? before.value.replicas : {})).not.toEqual([]);
    if (!before.ok || !paused.ok || !after.ok) throw new Error("open-metrics failed");
    expect(paused.value.replicas).toEqual({});
    expect(Object.keys(after.value.replicas)).not.toEqual(Object.keys(before.value.replicas));
  });

  it("turns a 403 (no Team plan) into a typed error and a garbled export into invalid_response", async () => {
    const ns = "om-faults";
    const admin = emulatorAdmin(base, ns);
    await admin.reset([{ name: "chat", instanceType: "nvidia-l4", instanceSize: "x1", minReplica: 1, maxReplica: 1, replicas: 1 }]);
    await admin.faults({ path: "/open-metrics", status: 403, body: { error: "Team or Enterprise plan required" } });
    const denied = await hf.getOpenMetrics(ns, "chat");
    expect(denied).toMatchObject({ ok: false, error: { code: "unauthorized", status: 403, endpoint: `${ns}/chat` } });
    await admin.faults({ path: "/open-metrics", malformed: true });
    const garbled = await hf.getOpenMetrics(ns, "chat");
    expect(garbled).toMatchObject({ ok: false, error: { code: "invalid_response", endpoint: `${ns}/chat` } });
  });

  it("rejects bad traffic settings with 400 and keeps the old ones", async () => {
    const res = await fetch(`${base}/_emulator/om-faults/endpoints/chat/traffic`, {
      method: "POST",
      body: JSON.stringify({ errorRate: 2 }),
    });
    expect(res.status).toBe(400);
  });
});
