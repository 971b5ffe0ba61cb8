// The Worker as deployed: scheduled() with the policy from the environment, and the read API,
// inside workerd against local D1 and the HF emulator.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import worker from "../../handlers/worker.ts";
import type { EndpointSpec } from "../../src/fakes/index.ts";
import { emulatorAdmin } from "../fixtures/emulator-admin.ts";

const NS = "http-api";
const DAY = "2026-02-03";
const T0 = Date.UTC(2026, 1, 3, 10, 0);
const MIN = 60_000;

const POLICY = `
mode: enforce
budget: { daily_usd: 5, timezone: UTC }
hf: { namespaces: [${NS}] }
endpoints:
  ${NS}/vip: { critical: true }
`;

const FLEET: EndpointSpec[] = [
  { name: "big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 1, maxReplica: 4, replicas: 2 },
  { name: "vip", instanceType: "nvidia-l4", instanceSize: "x1", minReplica: 1, maxReplica: 1, replicas: 1 },
];

const envWith = (over: Partial<Cloudflare.Env>): Cloudflare.Env => ({ ...env, ...over });

async function scheduled(at: number, e: Cloudflare.Env = envWith({ GUARDRAIL_POLICY: POLICY })) {
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), e);
}

async function get(path: string, e: Cloudflare.Env = envWith({ GUARDRAIL_POLICY: POLICY })) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://guardrail.test${path}`, { headers: { Authorization: `Bearer ${env.READ_TOKEN}` } }),
    e,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

describe("the deployed Worker", () => {
  beforeAll(async () => {
    await emulatorAdmin(inject("hfBase"), NS).reset(FLEET);
    await scheduled(T0);
    await scheduled(T0 + 60 * MIN); // 2 x $2.50 + $0.80 for an hour = $5.80: 116 %
    await scheduled(T0 + 70 * MIN); // + ~$0.97: 135 %, the cap on "big"
  });

  it("reports budget, spend, ratio, level and every endpoint in /v1/status", async () => {
    const { status, body } = await get(`/v1/status?day=${DAY}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ acting: true, mode: "enforce", policy: { valid: true, source: "GUARDRAIL_POLICY variable" } });
    const budget = body.budget as Record<string, unknown>;
    expect(budget).toMatchObject({ day: DAY, daily_usd: 5, level: 1, level_name: "scale_down" });
    expect(budget.ratio as number).toBeGreaterThan(1.2);
    const endpoints = body.endpoints as Array<Record<string, unknown>>;
    const big = endpoints.find((e) => e.id === `${NS}/big`);
    expect(big).toMatchObject({
      state: "running",
      price_usd_per_hour: 2.5,
      critical: false,
      last_action: { kind: "scale_down", status: "applied" },
    });
    expect(endpoints.find((e) => e.id === `${NS}/vip`)).toMatchObject({ critical: true, last_action: null });
    expect(body.last_tick).toMatchObject({ outcome: "ok" });
  });

  it("lists events newest first, filtered by kind and by endpoint", async () => {
    const all = await get("/v1/events");
    const ids = (all.body.events as Array<{ id: number }>).map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const caps = await get("/v1/events?kind=scale_down");
    expect((caps.body.events as Array<{ kind: string; endpoint: string }>).map((e) => [e.kind, e.endpoint])).toEqual([
      ["scale_down", `${NS}/big`],
    ]);
    const vip = await get(`/v1/events?endpoint=${NS}/vip`);
    expect((vip.body.events as Array<{ kind: string }>).map((e) => e.kind)).toEqual(["critical_endpoint_spared"]);
  });

  it("answers bad query parameters with a JSON error naming the field", async () => {
    const res = await get("/v1/events?limit=0");
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request" });
    expect(res.body.error?.message).toContain("limit");
    const unknown = await get("/v1/nothing");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe("not_found");
  });

  it("refuses to act on an invalid policy and says why in /v1/status and the tick log", async () => {
    const bad = envWith({ GUARDRAIL_POLICY: "mode: enforced\nbudget: { daily_usd: 5 }\nhf: { namespaces: [http-api] }\n" });
    const before = (await emulatorAdmin(inject("hfBase"), NS).calls()).length;
    const logs: string[] = [];
    const original = console.log;
    console.log = (line: string) => logs.push(line);
    try {
      await scheduled(T0 + 200 * MIN, bad);
    } finally {
      console.log = original;
    }
    expect((await emulatorAdmin(inject("hfBase"), NS).calls()).length).toBe(before); // not even observed
    expect(logs.join("\n")).toContain("configuration invalid");
    const { body } = await get("/v1/status", bad);
    expect(body).toMatchObject({ acting: false, policy: { valid: false } });
    expect((body.policy as { issues: Array<{ path: string; allowed?: string[] }> }).issues[0]).toMatchObject({
      path: "mode",
      allowed: ["enforce", "dry_run"],
    });
    // The tick raised the policy_invalid alert: last_tick counts it (and a later tick that day, which repeats nothing, does not).
    expect(body.last_tick).toMatchObject({ outcome: "policy_invalid", alerts: 1, actions: 0 });
    await scheduled(T0 + 201 * MIN, bad);
    expect((await get("/v1/status", bad)).body.last_tick).toMatchObject({ outcome: "policy_invalid", alerts: 0 });
  });

  it("refuses to act without the HF_TOKEN secret, and never prints a secret", async () => {
    const noToken = envWith({ GUARDRAIL_POLICY: POLICY, HF_TOKEN: undefined });
    const { body } = await get("/v1/status", noToken);
    expect(body.acting).toBe(false);
    expect(JSON.stringify(body.problems)).toContain("HF_TOKEN");
    const withToken = await get("/v1/status");
    expect(JSON.stringify(withToken.body)).not.toContain("hf_test_token");
  });

  it("runs the bundled guardrail.yaml when no GUARDRAIL_POLICY is set", async () => {
    const { body } = await get("/v1/status", envWith({ GUARDRAIL_POLICY: undefined }));
    expect(body.policy).toMatchObject({ valid: true, source: "bundled guardrail.yaml" });
    expect(body.mode).toBe("dry_run");
  });
});
