// Budgets as teams keep them (`budgets:`): several named budgets, by day or by calendar month, each
// with its own scope, thresholds and pacing. The `budget:` block stays and is the fleet-wide daily
// budget named "fleet"; `budgetsOf` normalises both into one list, the only shape the core reads.
import * as z from "zod";
import { SERVICE_NAME } from "./gateway.ts";
import { ENDPOINT_KEY, isTimeZone } from "./primitives.ts";

/** The name the `budget:` block's fleet-wide daily budget goes by in the list, alerts and /v1/status. */
export const FLEET_BUDGET = "fleet";

/** A budget name: a slug, as it appears in alert titles, the `budget` metric label and SNS attributes. */
export const BUDGET_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const budgetThresholdsSchema = z
  .object({
    scale_down: z
      .number()
      .positive()
      .optional()
      .describe("ratio of this budget's spend to its amount that caps replicas (default: the policy's `thresholds.scale_down`)"),
    reroute: z
      .number()
      .positive()
      .optional()
      .describe("ratio that reroutes this budget's non-critical traffic (default: the policy's `thresholds.reroute`)"),
    shutdown: z
      .number()
      .positive()
      .optional()
      .describe("ratio that pauses this budget's expensive non-critical endpoints (default: the policy's `thresholds.shutdown`)"),
  })
  .strict();

export const budgetScopeSchema = z
  .object({
    all: z.boolean().default(false).describe("every guarded endpoint and every gateway service"),
    namespaces: z
      .array(z.string().min(1))
      .default([])
      .describe("endpoints in these HF namespaces (each must be listed in `hf.namespaces`)"),
    endpoints: z
      .array(z.string().regex(ENDPOINT_KEY, "an endpoint `namespace/name`"))
      .default([])
      .describe("these endpoints, by `namespace/name`"),
    tags: z
      .array(z.string().min(1))
      .default([])
      .describe("endpoints carrying any of these HF endpoint tags (the `tags` of the endpoint in the HF API)"),
    services: z
      .array(z.string().regex(SERVICE_NAME, "a gateway service name"))
      .default([])
      .describe("token-priced spend of these inference gateway services (keys of `services`)"),
  })
  .strict()
  .refine((s) => s.all || s.namespaces.length + s.endpoints.length + s.tags.length + s.services.length > 0, {
    message: "a scope names at least one of: all, namespaces, endpoints, tags, services",
  })
  .describe("what the budget pays for: an endpoint or service is a member when it matches any of these");

export const budgetEntrySchema = z
  .object({
    name: z
      .string()
      .regex(BUDGET_NAME, "a slug: lowercase letters, digits, - and _")
      // Alert keys end in a named budget's name where the fleet's dry-run level alerts end in `:dry_run` and
      // alerts under a raise in `:raise:<id>`: a budget of either name would read as one of those.
      .refine((n) => n !== "dry_run" && n !== "raise", { message: "dry_run and raise are reserved (alert keys use them)" })
      .describe("unique name, shown in alerts, /v1/status and the `budget` metric label"),
    period: z.enum(["day", "month"]).describe("day: resets at local midnight; month: resets at local midnight on the 1st"),
    amount_usd: z.number().positive().describe("the budget for one period, in US dollars"),
    timezone: z
      .string()
      .refine(isTimeZone, { message: "not an IANA time zone (for example Europe/Paris, America/New_York, UTC)" })
      .optional()
      .describe(
        "IANA time zone whose midnight starts the period; required for month budgets; must be the budget day's zone (`budget.timezone`)",
      ),
    thresholds: budgetThresholdsSchema.optional().describe("this budget's ladder; each key defaults to the policy's `thresholds`"),
    scope: budgetScopeSchema,
    pacing: z
      .enum(["remaining", "even"])
      .optional()
      .describe(
        "month budgets: today's allowance is what is left spread over the days left (remaining, the default) or the month's amount / its days (even)",
      ),
    rollover: z
      .boolean()
      .optional()
      .describe("month budgets with even pacing: unspent allowance of earlier days of the month is added to today's"),
  })
  .strict();

export const budgetsSchema = z
  .array(budgetEntrySchema)
  .default([])
  .describe("named budgets beside the fleet-wide `budget`: by day or calendar month, per team (namespaces, endpoints, tags, services)");

export type BudgetEntry = z.infer<typeof budgetEntrySchema>;
export type BudgetScope = z.infer<typeof budgetScopeSchema>;

export interface Thresholds {
  scale_down: number;
  reroute: number;
  shutdown: number;
}

/** One budget after normalisation: every default resolved. */
export interface BudgetSpec {
  name: string;
  period: "day" | "month";
  amountUsd: number;
  timezone: string;
  thresholds: Thresholds;
  scope: BudgetScope;
  /** month budgets only; null for day budgets */
  pacing: "remaining" | "even" | null;
  rollover: boolean;
  /** where it is written in guardrail.yaml, for messages: `budget` or `budgets[2]` */
  path: string;
}

/** The parts of the policy the budgets depend on (kept structural so schema.ts can call in during parsing). */
export interface BudgetsPolicyView {
  budget: { daily_usd: number; timezone: string };
  budgets: readonly BudgetEntry[];
  thresholds: Thresholds;
}

const ALL_SCOPE: BudgetScope = { all: true, namespaces: [], endpoints: [], tags: [], services: [] };

const normalised = new WeakMap<object, BudgetSpec[]>();

/** The fleet budget (from `budget:`) first, then `budgets:` in the order written. Memoised per policy. */
export function budgetsOf(policy: BudgetsPolicyView): BudgetSpec[] {
  const known = normalised.get(policy);
  if (known) return known;
  const out: BudgetSpec[] = [
    {
      name: FLEET_BUDGET,
      period: "day",
      amountUsd: policy.budget.daily_usd,
      timezone: policy.budget.timezone,
      thresholds: policy.thresholds,
      scope: ALL_SCOPE,
      pacing: null,
      rollover: false,
      path: "budget",
    },
    ...policy.budgets.map(
      (b, i): BudgetSpec => ({
        name: b.name,
        period: b.period,
        amountUsd: b.amount_usd,
        timezone: b.timezone ?? policy.budget.timezone,
        thresholds: { ...policy.thresholds, ...b.thresholds },
        scope: b.scope,
        pacing: b.period === "month" ? (b.pacing ?? "remaining") : null,
        rollover: b.rollover ?? false,
        path: `budgets[${i}]`,
      }),
    ),
  ];
  normalised.set(policy, out);
  return out;
}

export interface BudgetIssue {
  path: Array<string | number>;
  message: string;
}

/**
 * Rules across keys, checked while the policy is parsed (so a tick never runs on them): unique names,
 * time zones, pacing keys that fit the period, thresholds that increase, and scopes that name only
 * namespaces and services this policy guards.
 */
export function budgetIssues(
  policy: BudgetsPolicyView & { hf: { namespaces: readonly string[] }; services: Readonly<Record<string, unknown>> },
): BudgetIssue[] {
  const issues: BudgetIssue[] = [];
  const seen = new Map<string, number>();
  const guarded = new Set(policy.hf.namespaces);
  policy.budgets.forEach((b, i) => {
    const at = (...rest: Array<string | number>) => ["budgets", i, ...rest];
    if (b.name === FLEET_BUDGET) {
      issues.push({
        path: at("name"),
        message: `"${FLEET_BUDGET}" is the name of the \`budget:\` block's fleet-wide daily budget; choose another`,
      });
    }
    const first = seen.get(b.name);
    if (first !== undefined) issues.push({ path: at("name"), message: `budget name "${b.name}" is already used by budgets[${first}]` });
    else seen.set(b.name, i);
    if (b.period === "month" && b.timezone === undefined) {
      issues.push({
        path: at("timezone"),
        message: `a month budget needs a time zone, so the month starts at the midnight you mean (for example timezone: ${policy.budget.timezone})`,
      });
    }
    if (b.timezone !== undefined && b.timezone !== policy.budget.timezone) {
      issues.push({
        path: at("timezone"),
        message:
          `must be the budget day's time zone ${policy.budget.timezone} (\`budget.timezone\`): the ledger keeps spend per day ` +
          `starting at midnight in that zone, so a period in ${b.timezone} would reset at a midnight the ledger does not record`,
      });
    }
    if (b.period === "day" && (b.pacing !== undefined || b.rollover !== undefined)) {
      issues.push({
        path: at(b.pacing !== undefined ? "pacing" : "rollover"),
        message: "pacing and rollover apply to month budgets; a day budget is its own daily allowance",
      });
    }
    if (b.rollover === true && (b.pacing ?? "remaining") === "remaining") {
      issues.push({
        path: at("rollover"),
        message:
          "remaining pacing already spreads what is left (unspent or overspent) over the days left; rollover applies to `pacing: even`",
      });
    }
    const t = { ...policy.thresholds, ...b.thresholds };
    if (!(t.scale_down < t.reroute && t.reroute < t.shutdown)) {
      issues.push({
        path: at("thresholds"),
        message: `thresholds must increase: scale_down < reroute < shutdown (with the policy's defaults: ${t.scale_down} / ${t.reroute} / ${t.shutdown})`,
      });
    }
    b.scope.namespaces.forEach((ns, j) => {
      if (!guarded.has(ns))
        issues.push({
          path: at("scope", "namespaces", j),
          message: `namespace "${ns}" is not in hf.namespaces, so no endpoint of it is ever observed`,
        });
    });
    b.scope.endpoints.forEach((id, j) => {
      const ns = id.slice(0, id.indexOf("/"));
      if (!guarded.has(ns))
        issues.push({
          path: at("scope", "endpoints", j),
          message: `"${id}" is in namespace "${ns}", which is not in hf.namespaces, so it is never observed`,
        });
    });
    b.scope.services.forEach((s, j) => {
      if (!(s in policy.services)) issues.push({ path: at("scope", "services", j), message: `no gateway service "${s}" in \`services\`` });
    });
  });
  return issues;
}
