// The reroute rung, honestly: it switches only endpoints a gateway service follows, says plainly
// when a fallback moves no traffic, and never sends overflow to an endpoint capped or paused.
import { describe, expect, it } from "vitest";
import { actionKey, plan } from "../../src/core/index.ts";
import { fallbackWarnings, settingsFor } from "../../src/policy/index.ts";
import { endpoint, planInput, policy } from "../fixtures/builders.ts";

const BUDGET = 100_000_000;
const at = (ratio: number) => Math.round(BUDGET * ratio);
const DAY = "2026-11-24";
const service = (primary: string, fallback: string) => ({ primary: { target: primary }, fallback: { target: fallback }, callers: ["K"] });

describe("honest reroute", () => {
  it("does not reroute an endpoint no gateway service follows, and says no traffic moves", () => {
    const pol = policy({ endpoints: { "acme/llm": { fallback: "acme/llm-cpu" } } });
    const p = plan(planInput({ policy: pol, spendMicro: at(1.5), observations: [endpoint({ minReplica: 0, maxReplica: 1 })] }));
    expect(p.actions).toEqual([]);
    const alert = p.alerts.find((a) => a.kind === "reroute_without_service");
    expect(alert).toMatchObject({ endpoint: "acme/llm", severity: "warning" });
    expect(alert?.message).toContain("no traffic moves");
    expect(alert?.message).toContain("services:");
  });

  it("reroutes an endpoint a service follows, to the fallback the service sends to, naming the service", () => {
    const pol = policy({ services: { chat: service("acme/llm", "acme/llm-cpu") } });
    const p = plan(planInput({ policy: pol, spendMicro: at(1.5), observations: [endpoint({ minReplica: 0, maxReplica: 1 })] }));
    expect(p.actions.map((a) => [a.kind, a.endpoint])).toEqual([["reroute", "acme/llm"]]);
    expect(p.actions[0]?.change).toEqual({ type: "route", mode: "overflow", fallback: "acme/llm-cpu" });
    expect(p.actions[0]?.reason).toContain("gateway service chat");
  });

  it("gives no fallback to an endpoint without a service, whatever its entry says", () => {
    const pol = policy({ endpoints: { "acme/llm": { fallback: "acme/llm-cpu" } } });
    expect(settingsFor(pol, "acme/llm").fallback).toBeNull();
  });

  it("warns about a fallback no service carries, and one the service overrides", () => {
    const pol = policy({
      endpoints: { "acme/llm": { fallback: "acme/llm-cpu" }, "acme/chat": { fallback: "acme/other" } },
      services: { chat: service("acme/chat", "acme/chat-cpu") },
    });
    const w = fallbackWarnings(pol);
    expect(w.map((x) => x.path)).toEqual(["endpoints.acme/llm.fallback", "endpoints.acme/chat.fallback"]);
    expect(w[0]?.message).toContain("no gateway service");
    expect(w[1]?.message).toContain("acme/chat-cpu");
    expect(fallbackWarnings(policy({ services: { chat: service("acme/chat", "acme/chat-cpu") } }))).toEqual([]);
  });
});

describe("fallback capacity", () => {
  const pol = policy({ services: { chat: service("acme/llm", "acme/llm-cpu") } });
  const fleet = [
    endpoint({ name: "llm", minReplica: 1, maxReplica: 4 }),
    endpoint({ name: "llm-cpu", accelerator: "cpu", priceMicroPerHour: 67_000, minReplica: 1, maxReplica: 4 }),
  ];

  it("spares a service's fallback endpoint from the 120 % cap: it is the capacity the 150 % rung sends overflow to", () => {
    const p = plan(planInput({ policy: pol, spendMicro: at(1.2), observations: fleet }));
    expect(p.actions.map((a) => [a.kind, a.endpoint])).toEqual([["scale_down", "acme/llm"]]);
  });

  it("holds the reroute, and says why, when the fallback was capped by the guardrail today", () => {
    const doneKeys = new Set([actionKey(DAY, "scale_down", "acme/llm-cpu"), actionKey(DAY, "scale_down", "acme/llm")]);
    const p = plan(planInput({ policy: pol, day: DAY, spendMicro: at(1.5), observations: fleet, doneKeys }));
    expect(p.actions.filter((a) => a.kind === "reroute")).toEqual([]);
    const held = p.alerts.find((a) => a.kind === "reroute_held");
    expect(held).toMatchObject({ endpoint: "acme/llm" });
    expect(held?.message).toContain("acme/llm-cpu");
    expect(held?.message).toContain("capped");
    expect(held?.message).toContain("mark the fallback critical");
  });

  it("holds the reroute when the fallback is paused", () => {
    const paused = [
      endpoint({ name: "llm" }),
      endpoint({ name: "llm-cpu", accelerator: "cpu", priceMicroPerHour: 67_000, state: "paused" }),
    ];
    const doneKeys = new Set([actionKey(DAY, "scale_down", "acme/llm")]);
    const p = plan(planInput({ policy: pol, day: DAY, spendMicro: at(1.6), observations: paused, doneKeys }));
    expect(p.actions.filter((a) => a.kind === "reroute")).toEqual([]);
    const message = p.alerts.find((a) => a.kind === "reroute_held")?.message;
    expect(message).toContain("paused");
    // Marking a paused fallback critical would not bring it back: the advice is to resume it.
    expect(message).toContain("resume acme/llm-cpu");
    expect(message).not.toContain("critical");
  });

  it("reroutes to a URL fallback (HF Inference Providers) whatever the fleet", () => {
    const url = policy({ services: { chat: service("acme/llm", "https://router.huggingface.co/v1") } });
    const p = plan(planInput({ policy: url, spendMicro: at(1.5), observations: [endpoint({ minReplica: 0, maxReplica: 1 })] }));
    expect(p.actions.map((a) => a.kind)).toEqual(["reroute"]);
  });
});

describe("token-priced targets without prices", () => {
  it("warns when a target on HF Inference Providers has no pricing: its dollars would be missing", () => {
    const pol = policy({ services: { chat: service("acme/llm", "https://router.huggingface.co/v1") } });
    expect(fallbackWarnings(pol)).toEqual([expect.objectContaining({ path: "services.chat.fallback.pricing" })]);
    const priced = policy({
      services: {
        chat: {
          ...service("acme/llm", "https://router.huggingface.co/v1"),
          fallback: { target: "https://router.huggingface.co/v1", pricing: { input_usd_per_million: 1, output_usd_per_million: 1 } },
        },
      },
    });
    expect(fallbackWarnings(priced)).toEqual([]);
  });
});
