// The whole path inside workerd: guard ticks take spend past 150 %, the tick switches the route,
// requests through the gateway reach the token-priced fallback, the fallback's token usage lands in
// the day's ledger (and moves the ladder), and past 200 % the non-critical service answers 429
// budget_exhausted. Real D1 with the real migrations, the HF emulator, local upstreams over HTTP.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../handlers/http/app.ts";
import { budgetDayBounds } from "../../src/core/index.ts";
import type { EndpointSpec } from "../../src/fakes/index.ts";
import { Gateway } from "../../src/gateway/index.ts";
import { validatePolicy } from "../../src/policy/index.ts";
import { HfClient } from "../../src/providers/hf/index.ts";
import { daySpend, loadRoutes } from "../../src/store/index.ts";
import { runTick } from "../../src/tick/index.ts";
import { emulatorAdmin } from "../fixtures/emulator-admin.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const ns = "gw-path";
const CALLER_KEY = "gw_path_caller_key";

// Two A100 replicas, $5/h: 150 % of $10 is three hours in.
const FLEET: EndpointSpec[] = [{ name: "llm", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 2, maxReplica: 2, replicas: 2 }];

const policyInput = {
  mode: "enforce",
  budget: { daily_usd: 10, timezone: "UTC" },
  hf: { namespaces: [ns] },
  // Issue 13: an interval longer than metering.gap_minutes cannot alone trip the pause. These ticks
  // jump hours (every minute in production): such an interval is not a gap here.
  metering: { gap_minutes: 1440 },
  services: {
    chat: {
      // The primary answers at a local URL; the service follows the guarded endpoint's route and state.
      primary: { target: inject("upstreamPrimary") },
      endpoint: `${ns}/llm`,
      fallback: {
        target: inject("upstreamFallback"),
        token: "ROUTER_TOKEN",
        pricing: { input_usd_per_million: 1, output_usd_per_million: 2 },
      },
      callers: ["CHAT_KEY"],
    },
  },
};

describe("reroute and spend through the gateway, tick to tick", () => {
  it("moves overflow to the token-priced fallback at 150 %, bills its tokens, and refuses the service past 200 %", async () => {
    const admin = emulatorAdmin(inject("hfBase"), ns);
    await admin.reset(FLEET);
    const policy = validatePolicy(policyInput);
    if (!policy.ok) throw new Error(JSON.stringify(policy.issues));
    const provider = new HfClient({ baseUrl: inject("hfBase"), token: "hf_test_token", sleep: async () => {} });
    const T0 = Date.UTC(2026, 4, 11, 0, 0);
    let now = T0;
    const tick = (at: number) => {
      now = at;
      return runTick({ db: env.DB, provider, policy, now: at, clock: () => at, holder: crypto.randomUUID(), log: () => {} });
    };
    const gateway = new Gateway({ clock: () => now, stateTtlMs: 0, maxStaleMs: 0, flushIntervalMs: 3_600_000 });
    const app = createApp({ clock: () => now, gateway });
    const testEnv = {
      ...env,
      GUARDRAIL_POLICY: JSON.stringify(policyInput),
      CHAT_KEY: CALLER_KEY,
      ROUTER_TOKEN: "hf_router_token",
    } as Cloudflare.Env;
    const ask = async (primary: string) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request("https://guardrail.test/v1/gateway/chat/v1/chat/completions", {
          method: "POST",
          body: JSON.stringify({ model: "acme/llama", messages: [{ role: "user", content: "hi" }] }),
          headers: {
            authorization: `Bearer ${CALLER_KEY}`,
            "x-upstream-primary": primary,
            "x-upstream-fallback": "usage=1000000:500000",
          },
        }),
        testEnv,
        ctx,
      );
      const body = (await res.json()) as Record<string, unknown>;
      await waitOnExecutionContext(ctx);
      return { res, body };
    };

    await tick(T0);
    // Before the reroute level a failing primary's answer passes through: nothing moves.
    expect((await ask("status=503")).res.status).toBe(503);

    const t150 = await tick(T0 + 3 * HOUR + 10 * MIN); // $15.83: 158 %
    expect(t150.plan?.level).toBe(2);
    expect(t150.executed.filter((x) => x.action.kind === "reroute").map((x) => [x.action.endpoint, x.status])).toEqual([
      [`${ns}/llm`, "applied"], // issue 12's action state machine calls a change HF took `applied`
    ]);
    expect((await loadRoutes(env.DB)).get(`${ns}/llm`)?.mode).toBe("overflow");

    // Overflow now reaches the fallback; each answer bills 1M input and 0.5M output tokens: $2.
    for (let i = 0; i < 3; i++) {
      const { res, body } = await ask("status=503");
      expect(res.status).toBe(200);
      expect(res.headers.get("x-guardrail-target")).toBe("fallback");
      expect(res.headers.get("x-guardrail-reason")).toBe("status_503");
      expect(body.object).toBe("chat.completion");
    }
    await gateway.flush(env.DB);
    const bounds = budgetDayBounds(T0, "UTC");
    const spent = await daySpend(env.DB, bounds.day, bounds);
    expect(spent.gateway.totalMicro).toBe(6_000_000);
    expect(spent.gateway.rows).toEqual([
      expect.objectContaining({ service: "chat", target: "fallback", model: "acme/llama", spendMicro: 6_000_000, tokensIn: 3_000_000 }),
    ]);
    expect(spent.totalMicro).toBe(spent.dedicatedMicro + 6_000_000);

    // The next tick counts the gateway's dollars: $15.9 + $6 is past 200 %.
    const t200 = await tick(T0 + 3 * HOUR + 11 * MIN);
    expect(t200.plan?.spendMicro).toBeGreaterThanOrEqual(spent.totalMicro);
    expect(t200.plan?.level).toBe(3);
    expect(t200.executed.map((x) => [x.action.kind, x.action.endpoint])).toContainEqual(["pause", `${ns}/llm`]);
    // The alert says where the money went.
    const crossed = t200.events.find((e) => e.kind === "budget_level" && e.title.includes("200%"));
    expect(crossed?.message).toMatch(/\(endpoints \$15\.\d+, gateway \$6\.00\)/);

    // The primary is paused, the fallback bills per token and the day is exhausted: refused, not billed.
    const refused = await ask("");
    expect(refused.res.status).toBe(429);
    expect((refused.body.error as { code: string }).code).toBe("budget_exhausted");
    expect(Number(refused.res.headers.get("retry-after"))).toBe(Math.ceil((bounds.end - now) / 1000));
  });

  it("feeds the gateway's latency to the scale-up trigger of an endpoint without open-metrics, under budget", async () => {
    const ns2 = "gw-latency";
    const admin = emulatorAdmin(inject("hfBase"), ns2);
    await admin.reset([{ name: "llm", instanceType: "nvidia-l4", instanceSize: "x1", minReplica: 1, maxReplica: 3, replicas: 1 }]);
    const input = {
      mode: "enforce",
      budget: { daily_usd: 1000, timezone: "UTC" },
      hf: { namespaces: [ns2] },
      metrics: { open_metrics: false },
      services: {
        chat: {
          primary: { target: inject("upstreamPrimary") },
          endpoint: `${ns2}/llm`,
          fallback: { target: inject("upstreamFallback") },
          callers: ["CHAT_KEY"],
        },
      },
    };
    const policy = validatePolicy(input);
    if (!policy.ok) throw new Error(JSON.stringify(policy.issues));
    const provider = new HfClient({ baseUrl: inject("hfBase"), token: "hf_test_token", sleep: async () => {} });
    const tick = (at: number) =>
      runTick({ db: env.DB, provider, policy, now: at, clock: () => at, holder: crypto.randomUUID(), log: () => {} });
    const T0 = Date.now() - 10 * MIN;
    await tick(T0);
    const gateway = new Gateway({ stateTtlMs: 0, maxStaleMs: 0, flushIntervalMs: 3_600_000 });
    const app = createApp({ clock: () => Date.now(), gateway });
    const testEnv = { ...env, GUARDRAIL_POLICY: JSON.stringify(input), CHAT_KEY: CALLER_KEY } as Cloudflare.Env;
    // The service follows ns2/llm, whose primary here is the local upstream: its answers take 700 ms.
    for (let i = 0; i < 3; i++) {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request("https://guardrail.test/v1/gateway/chat/x", {
          method: "POST",
          body: "{}",
          headers: { authorization: `Bearer ${CALLER_KEY}`, "x-upstream-primary": "delay=700" },
        }),
        testEnv,
        ctx,
      );
      await res.text();
      await waitOnExecutionContext(ctx);
    }
    await gateway.flush(env.DB);
    const t = await tick(Date.now());
    const up = t.plan?.actions.find((a) => a.kind === "scale_up");
    expect(up?.endpoint).toBe(`${ns2}/llm`);
    expect(up?.reason).toContain("p95 latency");
  });

  it("keeps a service's overshoot past its daily cap within the bound the 10 s flush and 5 s state allow, across isolates", async () => {
    // Two isolates (two Gateways sharing D1), each taking one $0.002 answer per virtual second.
    const COST = 2_000; // micro-USD: 1000 input tokens at $1/M, 500 output at $2/M
    const CAP_MICRO = 100_000; // $0.10
    const input = {
      mode: "enforce",
      budget: { daily_usd: 1000, timezone: "UTC" },
      hf: { namespaces: ["gw-overshoot"] },
      services: {
        capped: {
          primary: { target: inject("upstreamFallback"), pricing: { input_usd_per_million: 1, output_usd_per_million: 2 } },
          fallback: { target: inject("upstreamPrimary") },
          callers: ["CHAT_KEY"],
          budget: { daily_cap_usd: CAP_MICRO / 1e6 },
        },
      },
    };
    let now = Date.UTC(2026, 4, 12, 1, 0);
    const isolates = [0, 1].map(() => {
      // A virtual clock: no flush waits in real time for it (trailingFlushMaxMs 0); the loop's requests flush.
      const gateway = new Gateway({
        clock: () => now,
        stateTtlMs: 5_000,
        maxStaleMs: 30_000,
        flushIntervalMs: 10_000,
        trailingFlushMaxMs: 0,
      });
      return { gateway, app: createApp({ clock: () => now, gateway }) };
    });
    const testEnv = { ...env, GUARDRAIL_POLICY: JSON.stringify(input), CHAT_KEY: CALLER_KEY } as Cloudflare.Env;
    let admitted = 0;
    let refusedRounds = 0;
    for (let second = 0; second < 400 && refusedRounds < 40; second++) {
      now += 1000;
      let refusedNow = 0;
      for (const { app } of isolates) {
        const ctx = createExecutionContext();
        const res = await app.fetch(
          new Request("https://guardrail.test/v1/gateway/capped/v1/chat/completions", {
            method: "POST",
            body: "{}",
            headers: { authorization: `Bearer ${CALLER_KEY}`, "x-upstream-fallback": "usage=1000:500" },
          }),
          testEnv,
          ctx,
        );
        await res.text();
        await waitOnExecutionContext(ctx);
        if (res.status === 200) admitted++;
        else refusedNow++;
      }
      refusedRounds = refusedNow === isolates.length ? refusedRounds + 1 : 0;
    }
    for (const { gateway } of isolates) await gateway.flush(env.DB);
    const bounds = budgetDayBounds(now, "UTC");
    const billed = (await daySpend(env.DB, bounds.day, bounds)).gateway.rows
      .filter((r) => r.service === "capped")
      .reduce((a, r) => a + r.spendMicro, 0);
    expect(billed).toBe(admitted * COST);
    // Bound: what the other isolate spends unseen, one flush interval (10 s) plus one state TTL (5 s),
    // plus the answer in flight when the cap is crossed: rate_other x 15 s + one answer.
    const bound = 1 * COST * 15 + COST;
    const overshoot = billed - CAP_MICRO;
    console.log(
      `gateway overshoot past a $0.10 cap, 2 isolates x $0.002/s: $${(overshoot / 1e6).toFixed(4)} (bound $${(bound / 1e6).toFixed(4)})`,
    );
    expect(overshoot).toBeGreaterThanOrEqual(0);
    expect(overshoot).toBeLessThanOrEqual(bound);
  });
});
