// Metering through the outages of one input (issue 13): the price catalog down for hours, a long gap
// between observations. Real D1 with the real migrations, the real HF client, the HF emulator over HTTP.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { type PolicyInput, validatePolicy } from "../../src/policy/index.ts";
import { HfClient } from "../../src/providers/hf/index.ts";
import { actionsOfDay, addGatewayCounters, listEvents, spendBounds } from "../../src/store/index.ts";
import { runTick } from "../../src/tick/index.ts";
import { emulatorAdmin } from "../fixtures/emulator-admin.ts";
import { FLEET, guardrail } from "../fixtures/http.ts";

const base = inject("hfBase");
const MIN = 60_000;

function harness(ns: string, over: Partial<PolicyInput> = {}, priceCacheTtlMs = 0) {
  const res = validatePolicy({
    mode: "enforce",
    budget: { daily_usd: 10, timezone: "UTC" },
    hf: { namespaces: [ns] },
    endpoints: { [`${ns}/vip`]: { critical: true } },
    ...over,
  });
  if (!res.ok) throw new Error(JSON.stringify(res.issues));
  // By default no cache, so every tick asks HF for the catalog (the production client keeps it an hour).
  const provider = new HfClient({ baseUrl: base, token: "hf_test_token", sleep: async () => {}, priceCacheTtlMs });
  const tick = (now: number) =>
    runTick({ db: env.DB, provider, policy: res, now, clock: () => now, holder: crypto.randomUUID(), log: () => {} });
  return { tick, admin: emulatorAdmin(base, ns) };
}

/** One unlabelled or labelled sample of GET /metrics, e.g. `guardrail_spend_bounds_usd{bound="low"}`. */
async function gauge(ns: string, series: string, at: number): Promise<number | undefined> {
  const text = await (await guardrail(ns).read("/metrics", at)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

type StatusJson = {
  budget: { spend_usd: number; burn_usd_per_hour: number };
  guard: {
    blind: { blind: boolean };
    metering: {
      prices_stale: boolean;
      estimate_usd: number;
      low_usd: number;
      high_usd: number;
      estimated_gap_usd: number;
      prices: Array<{ stale: boolean }>;
    };
  };
};

describe("metering through a price catalog outage", () => {
  it("goes on at the last known catalog from D1, shows prices stale past an hour, alerts once, never $0 while replicas run", async () => {
    const ns = "meter-catalog";
    // The ticks below jump 30 minutes (every minute in production): such an interval is not a gap here.
    const { tick, admin } = harness(ns, { metering: { gap_minutes: 1440 }, budget: { daily_usd: 1000, timezone: "UTC" } });
    await admin.reset(FLEET);
    const T0 = Date.UTC(2026, 2, 2, 0, 0);
    await tick(T0);
    await admin.faults({ method: "GET", path: `/v2/provider/${ns}`, status: 503, times: 1000 });

    const spends: number[] = [];
    const staleAlerts: number[] = [];
    for (const t of [30, 60, 90, 120]) {
      const r = await tick(T0 + t * MIN);
      spends.push(r.plan?.spendMicro ?? 0);
      expect(r.plan?.burnMicroPerHour).toBe(22_067_000);
      staleAlerts.push(r.events.filter((e) => e.kind === "prices_stale").length);
    }
    // $22.067/h all along: half an hour each, at the catalog stored before the outage.
    expect(spends).toEqual([1, 2, 3, 4].map((n) => n * 11_033_500));
    // Stale once the stored catalog is over an hour old (from the 90-minute tick), announced once.
    expect(staleAlerts).toEqual([0, 0, 1, 0]);

    const g = guardrail(ns);
    const status = (await (await g.read("/v1/status", T0 + 120 * MIN)).json()) as StatusJson;
    expect(status.guard.metering.prices_stale).toBe(true);
    expect(status.budget.burn_usd_per_hour).toBeGreaterThan(0);
    const page = await (await g.read("/", T0 + 120 * MIN)).text();
    expect(page).toContain("prices stale");
    // A Prometheus rule can page on it too.
    expect(await gauge(ns, `guardrail_prices_stale{namespace="${ns}"}`, T0 + 120 * MIN)).toBe(1);
  });

  it("dates the stored catalog from HF's answer, not from a tick the isolate's cache answered", async () => {
    const ns = "meter-catalog-cache";
    // The production cache (an hour), aged by the tick's clock: the ticks' times are the only clock here.
    const { tick, admin } = harness(ns, { metering: { gap_minutes: 1440 }, budget: { daily_usd: 1000, timezone: "UTC" } }, 3_600_000);
    await admin.reset(FLEET);
    const T0 = Date.UTC(2026, 2, 20, 0, 0);
    await tick(T0);
    await admin.faults({ method: "GET", path: `/v2/provider/${ns}`, status: 503, times: 1000 });
    // 30 and 50 minutes on, the cache still answers (HF is down): the catalog is still the one of T0.
    const stale: boolean[] = [];
    const titles: string[] = [];
    for (const t of [30, 50, 70]) {
      const r = await tick(T0 + t * MIN);
      stale.push(r.events.some((e) => e.kind === "prices_stale"));
      titles.push(...r.events.filter((e) => e.type === "error").map((e) => e.title));
    }
    // The failing catalog read says what it could not read: the fleet itself was observed.
    expect(titles).toContain(`Could not read the price catalog of ${ns}`);
    expect(titles).not.toContain("Could not observe the fleet");
    // At 70 minutes the cache has expired, HF does not answer, and what HF last said is 70 minutes old.
    expect(stale).toEqual([false, false, true]);
    const row = await env.DB.prepare("SELECT fetched_at FROM price_catalog WHERE namespace = ?1").bind(ns).first<{ fetched_at: number }>();
    expect(row?.fetched_at).toBe(T0);
  });

  it("prices with a newer catalog another isolate stored, not this isolate's older cached answer", async () => {
    const ns = "meter-catalog-newer";
    const { tick, admin } = harness(ns, { metering: { gap_minutes: 1440 }, budget: { daily_usd: 1000, timezone: "UTC" } }, 3_600_000);
    await admin.reset(FLEET);
    const T0 = Date.UTC(2026, 2, 21, 0, 0);
    const first = await tick(T0);
    const burn = first.plan?.burnMicroPerHour ?? 0;
    expect(burn).toBeGreaterThan(0);
    // Another isolate's tick stored HF's answer 10 minutes later: every price doubled since.
    const row = await env.DB.prepare("SELECT prices FROM price_catalog WHERE namespace = ?1").bind(ns).first<{ prices: string }>();
    const doubled = (JSON.parse(row?.prices ?? "[]") as Array<{ priceMicroPerHour: number }>).map((p) => ({
      ...p,
      priceMicroPerHour: p.priceMicroPerHour * 2,
    }));
    await env.DB.prepare("UPDATE price_catalog SET prices = ?2, fetched_at = ?3 WHERE namespace = ?1")
      .bind(ns, JSON.stringify(doubled), T0 + 10 * MIN)
      .run();
    // This isolate's cache (an hour) still answers with T0's catalog: the stored, newer one prices the tick.
    const later = await tick(T0 + 20 * MIN);
    expect(later.plan?.burnMicroPerHour).toBe(2 * burn);
    const kept = await env.DB.prepare("SELECT fetched_at FROM price_catalog WHERE namespace = ?1").bind(ns).first<{ fetched_at: number }>();
    expect(kept?.fetched_at).toBe(T0 + 10 * MIN);
  });

  it("keeps an endpoint's last metered price when the catalog never answered in this isolate's life", async () => {
    const ns = "meter-noprice";
    const { tick, admin } = harness(ns, { metering: { gap_minutes: 1440 } });
    await admin.reset([FLEET[0] as (typeof FLEET)[number]]);
    const T0 = Date.UTC(2026, 2, 3, 0, 0);
    await tick(T0);
    await env.DB.prepare("DELETE FROM price_catalog WHERE namespace = ?1").bind(ns).run();
    await admin.faults({ method: "GET", path: `/v2/provider/${ns}`, status: 503, times: 1000 });
    for (const t of [1, 2, 3]) await tick(T0 + t * MIN);
    // 4 x A100 at $2.5/h = $10/h for three minutes: $0.50, not $0.
    expect(Math.abs((await spendBounds(env.DB, "2026-03-03")).micro - 500_000)).toBeLessThanOrEqual(3); // rounding per tick
  });
});

describe("metering a long observation gap", () => {
  it("meters the gap at the earlier count, high bound at the later, marks it estimated, and does not pause on it alone", async () => {
    const ns = "meter-gap";
    const { tick, admin } = harness(ns);
    // One A100 at $2.5/h all night, eight of them when the guardrail sees the fleet again.
    await admin.reset([{ name: "big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 1, maxReplica: 8, replicas: 1 }]);
    const T0 = Date.UTC(2026, 2, 4, 0, 0);
    await tick(T0);
    await admin.setReplicas("big", 8);
    const morning = T0 + 9 * 60 * MIN;
    const r = await tick(morning);
    // Estimate: 1 replica x 9 h = $22.50 (225 % of $10), plus half a started minute for each of the 7 new
    // replicas (metering.partial_minute: rounded_up, $0.15); high bound 8 x 9 h = $180, plus a whole minute each.
    const bounds = await spendBounds(env.DB, "2026-03-04");
    expect(bounds).toMatchObject({ micro: 22_645_833, lowMicro: 22_500_000, highMicro: 180_291_667, gapMicro: 22_645_833 });
    expect(r.plan?.level).toBe(2);
    expect(r.executed.some((x) => x.action.kind === "pause")).toBe(false);
    // A fresh minute of eight replicas does not make the gap a reason either.
    const next = await tick(morning + MIN);
    expect(next.executed.some((x) => x.action.kind === "pause")).toBe(false);
    expect((await actionsOfDay(env.DB, "2026-03-04")).some((a) => a.kind === "pause")).toBe(false);

    const status = (await (await guardrail(ns).read("/v1/status", morning + MIN)).json()) as StatusJson;
    expect(status.guard.metering.estimated_gap_usd).toBeCloseTo(22.65, 2);
    expect(status.guard.metering.high_usd).toBeGreaterThan(180);
    // /metrics has the same bounds and the part estimated across the gap.
    expect(await gauge(ns, 'guardrail_spend_bounds_usd{bound="low"}', morning + MIN)).toBe(status.guard.metering.low_usd);
    expect(await gauge(ns, 'guardrail_spend_bounds_usd{bound="high"}', morning + MIN)).toBe(status.guard.metering.high_usd);
    expect(await gauge(ns, "guardrail_spend_estimated_gap_usd", morning + MIN)).toBe(status.guard.metering.estimated_gap_usd);
    const budget = await listEvents(env.DB, { kind: "budget_level", limit: 10 });
    expect(budget.filter((e) => e.title.includes("200%") && e.at >= T0)).toEqual([]);
  });
});

describe("replica starts", () => {
  it("counts a scale-up's new replicas as starts, apart from wakes, in /v1/status", async () => {
    const ns = "meter-starts";
    const { tick, admin } = harness(ns);
    await admin.reset([{ name: "big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 0, maxReplica: 8, replicas: 1 }]);
    const T0 = Date.UTC(2026, 2, 5, 0, 0);
    await tick(T0);
    await admin.setReplicas("big", 3);
    await tick(T0 + MIN);
    await admin.patch("big", { status: { state: "scaledToZero", readyReplica: 0, targetReplica: 0 } });
    await tick(T0 + 2 * MIN);
    await admin.setReplicas("big", 1);
    await tick(T0 + 3 * MIN);
    type Starts = { guard: { metering: { replica_starts_last_hour: Array<Record<string, unknown>> } } };
    const status = (await (await guardrail(ns).read("/v1/status", T0 + 3 * MIN)).json()) as Starts;
    expect(status.guard.metering.replica_starts_last_hour).toEqual([
      expect.objectContaining({ endpoint: `${ns}/big`, replica_starts: 3, wakes: 1, scale_ups: 2 }),
    ]);
    // The page marks the line by the policy's cold_starts limit: 3 starts are within the default 10, over 2.
    const flag = async (extra: string) =>
      /<span class="flag (\w+)" data-flag="replica_starts">/.exec(await (await guardrail(ns, extra).read("/", T0 + 3 * MIN)).text())?.[1];
    expect(await flag("")).toBe("ok");
    expect(await flag("triggers: { cold_starts: { max_per_hour: 2 } }")).toBe("warn");
  });
});

describe("the pause and the estimate's standard error", () => {
  // Issue 13: an estimate placed between two observations is unsure; the pause waits for the estimate at
  // 200 % plus two standard errors, so noise alone does not take production down before the bill is there.
  it("waits past the first tick at 200 % while the estimate is unsure, then pauses; a steady fleet pauses at once", async () => {
    const run = async (ns: string, swing: boolean, T0: number, margin?: number) => {
      // The cap at 120 % leaves max 8 replicas: the swing goes on until the pause.
      const { tick, admin } = harness(ns, {
        actions: { scale_down: { max_replicas: 8 } },
        ...(margin === undefined ? {} : { metering: { pause_margin_sigmas: margin } }),
      } as Partial<PolicyInput>);
      await admin.reset([{ name: "big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 1, maxReplica: 8, replicas: 5 }]);
      let crossed: { at: number; paused: boolean } | null = null;
      for (let m = 0; m <= 150; m++) {
        // Swinging between 2 and 8 replicas every minute (a change at an unseen instant in every interval), or 5 all along.
        if (swing) await admin.setReplicas("big", m % 2 === 0 ? 8 : 2);
        const r = await tick(T0 + m * MIN);
        const paused = r.executed.some((x) => x.action.kind === "pause");
        if (!crossed && (r.plan?.spendMicro ?? 0) >= 20_000_000) crossed = { at: m, paused };
        if (paused) {
          const status = (await (await guardrail(ns).read("/v1/status", T0 + m * MIN)).json()) as {
            guard: { metering: { estimate_usd: number; standard_error_usd: number; pause_margin_sigmas: number } };
          };
          // (/v1/status reads the deployment's policy, which keeps the default.)
          if (margin === undefined) expect(status.guard.metering.pause_margin_sigmas).toBe(2);
          // /metrics shows the same standard error as /v1/status (the one status model).
          const metrics = await (await guardrail(ns).read("/metrics", T0 + m * MIN)).text();
          const gauge = /^guardrail_spend_standard_error_usd (\S+)$/m.exec(metrics)?.[1];
          expect(Number(gauge)).toBe(status.guard.metering.standard_error_usd);
          return { crossed, pausedAt: m, metering: status.guard.metering };
        }
      }
      return { crossed, pausedAt: null, metering: null };
    };
    // (The ledger is the deployment's: each run on a day of its own.)
    const steady = await run("meter-sigma-steady", false, Date.UTC(2026, 2, 10));
    expect(steady.crossed?.paused).toBe(true);
    expect(steady.metering?.standard_error_usd).toBe(0);

    const swing = await run("meter-sigma-swing", true, Date.UTC(2026, 2, 11));
    expect(swing.crossed).not.toBeNull();
    expect(swing.crossed?.paused).toBe(false);
    expect(swing.pausedAt).not.toBeNull();
    const m = swing.metering as { estimate_usd: number; standard_error_usd: number };
    expect(m.standard_error_usd).toBeGreaterThan(0.1);
    // Paused once the estimate less two standard errors reached 200 % of $10.
    expect(m.estimate_usd - 2 * m.standard_error_usd).toBeGreaterThanOrEqual(20 - 0.5);

    // metering.pause_margin_sigmas: 0 trades the margin for speed: the same swing pauses within a tick of
    // the estimate reading 200 % (the crossing tick's own interval is still unconfirmed), well before the default.
    const eager = await run("meter-sigma-eager", true, Date.UTC(2026, 2, 12), 0);
    expect(eager.pausedAt).not.toBeNull();
    expect((eager.pausedAt as number) - (eager.crossed?.at as number)).toBeLessThanOrEqual(1);
    expect(eager.pausedAt).toBeLessThan(swing.pausedAt as number);
  }, 90_000);
});

describe("metering an endpoint whose hardware no catalog prices", () => {
  it("meters an endpoint moved to unpriced hardware as unpriced, with the alert, not at its old hardware's price", async () => {
    const ns = "meter-rehardware";
    const { tick, admin } = harness(ns, { metering: { gap_minutes: 1440 }, budget: { daily_usd: 1000, timezone: "UTC" } });
    await admin.reset([FLEET[0] as (typeof FLEET)[number]]);
    const T0 = Date.UTC(2026, 2, 25, 0, 0);
    await tick(T0);
    await tick(T0 + MIN);
    // 4 x A100 at $2.5/h for a minute; then the endpoint is moved to hardware HF's catalog has no price for.
    expect(Math.abs((await spendBounds(env.DB, "2026-03-25")).micro - 166_667)).toBeLessThanOrEqual(1);
    await admin.patch("big", {
      compute: {
        id: "aws-us-east-1-nvidia-b300-x8",
        accelerator: "gpu",
        instanceType: "nvidia-b300",
        instanceSize: "x8",
        scaling: { minReplica: 1, maxReplica: 6 },
      },
    });
    const unpriced: string[] = [];
    for (const t of [2, 3, 4]) {
      const r = await tick(T0 + t * MIN);
      unpriced.push(...r.events.filter((e) => e.kind === "unpriced_endpoint").map((e) => e.title));
    }
    const bounds = await spendBounds(env.DB, "2026-03-25");
    // The minute in which it moved is charged at the price it had when it was last seen (the move's instant
    // is not seen); from there on its replica time is unpriced and said so, not metered at the A100's price.
    expect(Math.abs(bounds.micro - 2 * 166_667)).toBeLessThanOrEqual(2);
    expect(bounds.unpricedReplicaMs).toBe(2 * 4 * MIN);
    expect(await gauge(ns, "guardrail_unpriced_replica_hours", T0 + 4 * MIN)).toBe(0.133);
    expect(unpriced).toEqual([`No price for ${ns}/big`]);
  });
});

describe("the bounds on the status page", () => {
  it("add the gateway's token-priced spend to the metered endpoints' bounds, so today's spend lies inside them", async () => {
    const ns = "meter-bounds-gateway";
    const g = guardrail(ns);
    await g.admin.reset([{ name: "big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 1, maxReplica: 8, replicas: 1 }]);
    const T0 = Date.UTC(2026, 2, 26, 0, 0);
    await g.tick(T0);
    await g.admin.setReplicas("big", 4);
    await g.tick(T0 + MIN);
    // $3 of token-priced answers through the gateway today.
    const series = { minute: T0, service: "summarize", target: "fallback", endpoint: "https://router.huggingface.co" };
    await addGatewayCounters(env.DB, [{ ...series, name: "spend_micro:meta-llama/Llama-3.1-8B-Instruct", value: 3_000_000 }]);
    const status = (await (await g.read("/v1/status", T0 + MIN)).json()) as StatusJson & {
      budget: { sources: { gateway_usd: number } };
    };
    expect(status.budget.sources.gateway_usd).toBe(3);
    const html = await (await g.read("/", T0 + MIN)).text();
    const [low, high] = (/data-figure="spend-bounds">\s*\(\$([\d.,]+)–\$([\d.,]+)\)/.exec(html) ?? []).slice(1).map(Number);
    expect(low).toBeCloseTo(status.guard.metering.low_usd + 3, 2);
    expect(high).toBeCloseTo(status.guard.metering.high_usd + 3, 2);
    expect(low).toBeLessThanOrEqual(status.budget.spend_usd);
    expect(high).toBeGreaterThanOrEqual(status.budget.spend_usd);
  });
});

describe("replica starts across an observation gap", () => {
  it("are not a cold-start burst: one morning tick after a night unseen raises no cold_starts alert", async () => {
    const ns = "meter-starts-gap";
    const { tick, admin } = harness(ns, { metering: { gap_minutes: 5 }, budget: { daily_usd: 100_000, timezone: "UTC" } });
    await admin.reset([{ name: "big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 0, maxReplica: 16, replicas: 1 }]);
    const T0 = Date.UTC(2026, 2, 27, 0, 0);
    await tick(T0);
    // Unseen for six hours, the autoscaler went from 1 to 13 replicas at some instant of the night.
    await admin.setReplicas("big", 13);
    const morning = await tick(T0 + 6 * 60 * MIN);
    expect(morning.events.filter((e) => e.kind === "cold_starts")).toEqual([]);
    const status = (await (await guardrail(ns).read("/v1/status", T0 + 6 * 60 * MIN)).json()) as {
      guard: { metering: { replica_starts_last_hour: unknown[] } };
    };
    expect(status.guard.metering.replica_starts_last_hour).toEqual([]);
    // Starts the guardrail sees happen count as before: 13 -> 1 -> 13 within two minutes is twelve starts.
    await admin.setReplicas("big", 1);
    await tick(T0 + 6 * 60 * MIN + MIN);
    await admin.setReplicas("big", 13);
    const seen = await tick(T0 + 6 * 60 * MIN + 2 * MIN);
    expect(seen.events.filter((e) => e.kind === "cold_starts").map((e) => e.title)).toEqual([
      `Autoscaling misconfiguration on ${ns}/big: 12 replica starts in 60 minutes`,
    ]);
  });
});
