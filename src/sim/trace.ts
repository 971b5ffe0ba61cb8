// The trace file `npm run simulate -- --trace FILE` replays: a fleet and its demand, one number per step.
// The zod schema is the single source of the format (documented in the README); a bad trace is
// rejected with the path of every error, and nothing runs.
import * as z from "zod";
import { formatPath, type Policy } from "../policy/index.ts";

/** HF endpoint names: lowercase alphanumerics and `-`, up to 32 characters (as the policy's endpoint keys). */
const ENDPOINT_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** HF users and organisations. */
const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** A day of minutes at one-minute steps is 1,440; a week is the most a run may cover. */
export const MAX_TRACE_SECONDS = 7 * 24 * 3600;

const traceEndpointSchema = z
  .object({
    namespace: z.string().regex(NAMESPACE, "an HF user or organisation name").describe("HF user or organisation"),
    name: z.string().regex(ENDPOINT_NAME, "lowercase letters, digits and -, up to 32 characters").describe("endpoint name"),
    instance_type: z.string().min(1).describe("e.g. nvidia-a10g, intel-spr"),
    instance_size: z.string().min(1).describe("e.g. x1, x4"),
    price_per_hour: z.number().positive().describe("USD per replica-hour, as the HF catalog shows it"),
    min_replicas: z.number().int().min(0),
    max_replicas: z.number().int().min(1),
    scale_to_zero_timeout_minutes: z
      .number()
      .int()
      .min(1)
      .nullable()
      .describe("idle minutes before HF scales to zero (needs min_replicas 0); null: never"),
    capacity_rps_per_replica: z.number().positive().describe("requests per second one replica serves"),
    cold_start_minutes: z.number().min(0).describe("minutes a new replica spends initializing (billed) before it serves"),
    demand_rps: z.array(z.number().min(0)).min(1).describe("requests per second offered to the endpoint, one number per step"),
    tags: z
      .array(z.string().min(1))
      .optional()
      .describe("the endpoint's HF tags, as the HF API lists them: what `budgets[].scope.tags` selects"),
  })
  .strict()
  .refine((e) => e.min_replicas <= e.max_replicas, { message: "min_replicas must be <= max_replicas", path: ["min_replicas"] });

export const traceSchema = z
  .object({
    start: z.iso.datetime({ offset: true }).describe("ISO 8601 time with offset, e.g. 2026-04-14T00:00:00-04:00"),
    step_seconds: z.number().int().min(1).max(3600).describe("seconds between two demand samples; 60 in the usual trace"),
    endpoints: z.array(traceEndpointSchema).min(1),
  })
  .strict()
  .superRefine((trace, ctx) => {
    const steps = trace.endpoints[0]?.demand_rps.length ?? 0;
    const seen = new Set<string>();
    const prices = new Map<string, { price: number; index: number }>();
    trace.endpoints.forEach((e, i) => {
      if (e.demand_rps.length !== steps) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "demand_rps"],
          message: `has ${e.demand_rps.length} steps; endpoints[0] has ${steps}: every endpoint needs one number per step`,
        });
      }
      const id = `${e.namespace}/${e.name}`;
      if (seen.has(id)) ctx.addIssue({ code: "custom", path: ["endpoints", i, "name"], message: `${id} appears twice` });
      seen.add(id);
      // The catalog has one price per hardware; two prices for the same hardware cannot both be billed.
      const hw = `${e.instance_type}/${e.instance_size}`;
      const known = prices.get(hw);
      if (known && known.price !== e.price_per_hour) {
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, "price_per_hour"],
          message: `${hw} costs ${known.price} in endpoints[${known.index}]; one hardware has one price`,
        });
      } else if (!known) prices.set(hw, { price: e.price_per_hour, index: i });
    });
    if (steps * trace.step_seconds > MAX_TRACE_SECONDS) {
      ctx.addIssue({ code: "custom", path: ["endpoints", 0, "demand_rps"], message: `the trace spans more than 7 days` });
    }
  });

export type Trace = z.infer<typeof traceSchema>;
export type TraceEndpoint = Trace["endpoints"][number];

export interface TraceIssue {
  /** e.g. `endpoints[2].demand_rps[17]` */
  path: string;
  message: string;
}

export type TraceResult = { ok: true; trace: Trace } | { ok: false; issues: TraceIssue[] };

export function validateTrace(value: unknown): TraceResult {
  const parsed = traceSchema.safeParse(value);
  if (parsed.success) return { ok: true, trace: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
}

/** Parses the text of a trace file (JSON). */
export function parseTrace(text: string): TraceResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, issues: [{ path: "(root)", message: `not JSON: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  return validateTrace(value);
}

/** Milliseconds since epoch of the trace's first step. */
export const traceStart = (trace: Trace): number => Date.parse(trace.start);

/** Number of steps (every endpoint has the same). */
export const traceSteps = (trace: Trace): number => trace.endpoints[0]?.demand_rps.length ?? 0;

/** Problems that stop a simulation before it starts: the guardrail would not see the trace's fleet. */
export function traceProblems(trace: Trace, policy: Policy): string[] {
  const guarded = new Set(policy.hf.namespaces);
  const outside = [...new Set(trace.endpoints.map((e) => e.namespace))].filter((ns) => !guarded.has(ns));
  return outside.map(
    (ns) =>
      `the trace's namespace "${ns}" is not in the policy's hf.namespaces (${policy.hf.namespaces.join(", ")}): the guardrail would not see it`,
  );
}
