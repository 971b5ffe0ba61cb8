// The HF emulator's fleet rules, which every Worker test relies on: billing, pause, caps, scale-to-zero.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/fakes/index.ts";

const NS = "emu-unit";
let emu: Emulator;
const T0 = Date.UTC(2026, 4, 1, 12);

const hf = (path: string, method = "GET", body?: unknown) =>
  fetch(`${emu.url}/v2/endpoint/${NS}${path}`, {
    method,
    headers: { authorization: `Bearer ${emu.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

beforeAll(async () => {
  emu = await startEmulator({ now: () => T0 });
});
afterAll(() => emu.close());

describe("the HF emulator", () => {
  it("bills replicas x price per hour on its clock", () => {
    emu.reset(NS, {
      endpoints: [{ name: "a", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 2, maxReplica: 2, replicas: 2 }],
    });
    emu.advance(NS, 3_600_000);
    expect(emu.cost(NS).endpoints.a).toMatchObject({ microUsd: 5_000_000, replicaMinutes: 120 });
  });

  it("bills per minute as HF documents: each replica's run in whole minutes, a started minute counted, initializing included", () => {
    // HF support/pricing.md: "charged ... while ... initializing and in a running state ... billed per minute".
    emu.reset(NS, {
      endpoints: [
        { name: "a", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 0, maxReplica: 4, replicas: 1, scaleToZeroTimeout: 1 },
      ],
      startupMs: 2 * 60_000,
    });
    emu.advance(NS, 90_000); // one replica for 1.5 minutes: 2 minutes billed
    emu.setReplicas(NS, "a", 3); // two more start, initializing for 2 minutes
    emu.advance(NS, 10_000); // first replica at 1:40 (2 min), new ones at 0:10 (1 min each so far)
    const cost = emu.cost(NS).endpoints.a;
    expect(cost?.microUsd).toBe(Math.round((4 * 2_500_000) / 60));
    // The continuous figure stays available for comparison: 1.5 + 3 x 1/6 minutes... of replica time.
    expect(cost?.replicaMinutes).toBeCloseTo(1.5 + (3 * 10) / 60, 6);
  });

  it("keeps the replica runs that ended, with their instants, only when asked to (recordRuns)", async () => {
    let now = T0;
    const recording = await startEmulator({ now: () => now, recordRuns: true });
    try {
      recording.reset(NS, {
        endpoints: [{ name: "a", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 1, maxReplica: 4, replicas: 1 }],
      });
      now += 30_000;
      recording.setReplicas(NS, "a", 3);
      now += 90_000;
      recording.setReplicas(NS, "a", 1);
      now += 1_000; // a run is closed when the emulator next bills the endpoint
      recording.cost(NS);
      // The last replica in is the first out: the two added at 0:30 stop at 2:00.
      expect(recording.closedRuns()).toEqual([
        { namespace: NS, name: "a", start: T0 + 30_000, end: T0 + 120_000, replicasAfter: 1 },
        { namespace: NS, name: "a", start: T0 + 30_000, end: T0 + 120_000, replicasAfter: 1 },
      ]);
    } finally {
      await recording.close();
    }
    expect(emu.closedRuns()).toEqual([]);
  });

  it("stops billing a paused endpoint and answers 400 'already running' to a second resume", async () => {
    emu.reset(NS, { endpoints: [{ name: "a", instanceType: "nvidia-l4", instanceSize: "x1", minReplica: 1, maxReplica: 2, replicas: 1 }] });
    expect((await (await hf("/a/pause", "POST")).json()) as { status: { state: string } }).toMatchObject({ status: { state: "paused" } });
    emu.advance(NS, 3_600_000);
    expect(emu.cost(NS).endpoints.a?.microUsd).toBe(0);
    expect((await hf("/a/resume", "POST")).status).toBe(200);
    const again = await hf("/a/resume", "POST");
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("already running");
  });

  it("lowers running replicas to a new maxReplica and merges partial updates", async () => {
    emu.reset(NS, {
      endpoints: [
        { name: "a", instanceType: "nvidia-l4", instanceSize: "x1", minReplica: 1, maxReplica: 6, replicas: 5, scaleToZeroTimeout: 30 },
      ],
    });
    const res = await hf("/a", "PUT", { compute: { scaling: { maxReplica: 2 } } });
    const body = (await res.json()) as { compute: { scaling: Record<string, number> }; status: { targetReplica: number } };
    expect(body.compute.scaling).toMatchObject({ minReplica: 1, maxReplica: 2, scaleToZeroTimeout: 30 });
    expect(body.status.targetReplica).toBe(2);
  });

  it("answers 404 with HF's error body for an unknown endpoint and 401 without the token", async () => {
    const missing = await hf("/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "Endpoint not found" });
    expect((await fetch(`${emu.url}/v2/endpoint/${NS}`)).status).toBe(401);
  });
});
