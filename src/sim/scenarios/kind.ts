// What a built-in scenario is: a fleet and a day of its traffic, sized to the policy's budget,
// with the outcome the cost guide predicts for it (asserted in test/sim/scenarios.test.ts).
import { startOfDay } from "../../core/index.ts";
import { type Policy, type PolicyInput, type PolicyResult, validatePolicy } from "../../policy/index.ts";
import { isoInZone } from "../local-time.ts";
import type { Trace, TraceEndpoint } from "../trace.ts";
import { DAY_MINUTES } from "./shapes.ts";

export type EndpointSettings = NonNullable<PolicyInput["endpoints"]>[string];
export type ServiceInput = NonNullable<PolicyInput["services"]>[string];

export interface ScenarioContext {
  /** the first namespace the policy guards: the scenario's endpoints live there */
  namespace: string;
  budgetUsd: number;
  timezone: string;
}

export interface ScenarioFleet {
  trace: Trace;
  /**
   * Policy entries for the scenario's own endpoints (critical, fallback, expected max replicas), keyed
   * `namespace/name`. The simulator adds them under the policy's own entries: the policy wins.
   */
  settings: Record<string, EndpointSettings>;
  /** gateway services over the scenario's endpoints: the reroute rung moves only their traffic */
  services: Record<string, ServiceInput>;
}

/** A service carrying one scenario endpoint's traffic, with its fallback (an endpoint name, or a URL). */
export interface ServiceDraft {
  endpoint: string;
  fallback: string;
  pricing?: { input_usd_per_million: number; output_usd_per_million: number };
}

export interface Scenario {
  name: string;
  /** one line: the situation */
  summary: string;
  /** what the guardrail is expected to do about it */
  expected: string;
  build(ctx: ScenarioContext): ScenarioFleet;
}

/** The scenarios are drawn for a $200 daily budget; `scale` sizes traffic and replicas to another budget. */
export const REFERENCE_BUDGET_USD = 200;
export const replicasFor = (base: number, scale: number): number => Math.max(1, Math.round(base * scale));

/** Every scenario plays the same ordinary weekday, from midnight in the policy's time zone. */
export const SCENARIO_DAY = "2026-04-14";

/** List prices (USD per replica-hour) of the hardware the scenarios use. */
export const HARDWARE = {
  a10g: { instance_type: "nvidia-a10g", instance_size: "x1", price_per_hour: 1.0 },
  l4: { instance_type: "nvidia-l4", instance_size: "x1", price_per_hour: 0.8 },
  a100x8: { instance_type: "nvidia-a100", instance_size: "x8", price_per_hour: 20.0 },
  h200x8: { instance_type: "nvidia-h200", instance_size: "x8", price_per_hour: 40.0 },
  cpu: { instance_type: "intel-spr", instance_size: "x2", price_per_hour: 0.067 },
} as const;

export interface EndpointDraft {
  name: string;
  hardware: keyof typeof HARDWARE;
  /** at the reference budget; scaled with the budget */
  maxReplicas: number;
  /** default 1; scaled with the budget (0 stays 0) */
  minReplicas?: number;
  scaleToZeroMinutes?: number | null;
  capacityRps: number;
  coldStartMinutes: number;
  /** one number per minute of the day, at the reference budget; scaled with the budget */
  demand: number[];
}

/** A scenario from its drafts: endpoints in the policy's first namespace, traffic and replicas sized to its budget. */
export function scenario(def: {
  name: string;
  summary: string;
  expected: string;
  endpoints: EndpointDraft[];
  /** settings keyed by endpoint name; `replicas` scales a count to the budget */
  settings?: (replicas: (base: number) => number) => Record<string, EndpointSettings>;
  /** gateway services keyed by service name */
  services?: Record<string, ServiceDraft>;
}): Scenario {
  return {
    name: def.name,
    summary: def.summary,
    expected: def.expected,
    build(ctx) {
      const scale = ctx.budgetUsd / REFERENCE_BUDGET_USD;
      const endpoints: TraceEndpoint[] = def.endpoints.map((d) => {
        const min = d.minReplicas === 0 ? 0 : replicasFor(d.minReplicas ?? 1, scale);
        return {
          namespace: ctx.namespace,
          name: d.name,
          ...HARDWARE[d.hardware],
          min_replicas: min,
          max_replicas: Math.max(replicasFor(d.maxReplicas, scale), min),
          scale_to_zero_timeout_minutes: d.scaleToZeroMinutes ?? null,
          capacity_rps_per_replica: d.capacityRps,
          cold_start_minutes: d.coldStartMinutes,
          demand_rps: d.demand.slice(0, DAY_MINUTES).map((v) => Math.round(v * scale * 100) / 100),
        };
      });
      const settings = def.settings?.((base) => replicasFor(base, scale)) ?? {};
      return {
        trace: { start: isoInZone(startOfDay(SCENARIO_DAY, ctx.timezone), ctx.timezone), step_seconds: 60, endpoints },
        settings: Object.fromEntries(Object.entries(settings).map(([name, s]) => [`${ctx.namespace}/${name}`, s])),
        services: Object.fromEntries(
          Object.entries(def.services ?? {}).map(([name, s]) => [
            name,
            {
              primary: { target: `${ctx.namespace}/${s.endpoint}` },
              fallback: {
                target: s.fallback.includes("://") ? s.fallback : `${ctx.namespace}/${s.fallback}`,
                ...(s.pricing ? { pricing: s.pricing } : {}),
              },
              callers: ["SIM_CALLER_KEY"],
            },
          ]),
        ),
      };
    },
  };
}

/** The policy with a scenario's settings for its own endpoints added; an entry the policy already has wins. */
export function withScenarioSettings(policy: Policy, fleet: ScenarioFleet): PolicyResult {
  return validatePolicy({
    ...policy,
    endpoints: { ...fleet.settings, ...policy.endpoints },
    services: { ...fleet.services, ...policy.services },
  });
}
