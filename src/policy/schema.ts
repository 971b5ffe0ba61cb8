// The policy (guardrail.yaml) as a zod schema: the single source of its shape, defaults and types.
// Key names are a public contract (docs/policy-reference.md is generated from the descriptions here);
// change them only with a migration note.
import * as z from "zod";
import { alertsSchema } from "./alerts.ts";
import { billingSchema } from "./billing.ts";
import { budgetIssues, budgetsSchema } from "./budgets.ts";
import { approvalsPolicySchema, overridesPolicySchema } from "./control.ts";
import { enginePolicyShape } from "./engine.ts";
import { servicesSchema } from "./gateway.ts";
import { meteringSchema } from "./metering.ts";
import { ENDPOINT_KEY, isTimeZone } from "./primitives.ts";
import { schedulesDefault, schedulesSchema } from "./schedules.ts";
import { statusSchema } from "./status.ts";

export { ENDPOINT_KEY };

export const endpointSettingsSchema = z
  .object({
    critical: z
      .boolean()
      .optional()
      .describe("never paused, capped or rerouted automatically; a person gets a critical_endpoint_spared alert instead"),
    fallback: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .describe("where traffic goes at the reroute level: another endpoint `ns/name` or an https URL"),
    expected_max_replicas: z
      .number()
      .int()
      .min(0)
      .nullable()
      .optional()
      .describe("replicas above this are runaway scaling (runaway_scaling alert); also the ceiling for an automatic scale-up"),
  })
  .strict();

const thresholdsSchema = z
  .object({
    scale_down: z
      .number()
      .positive()
      .default(1.2)
      .describe("ratio of today's spend to the daily budget at which non-critical endpoints are capped"),
    reroute: z
      .number()
      .positive()
      .default(1.5)
      .describe("ratio at which non-critical endpoints with a fallback have their overflow rerouted"),
    shutdown: z.number().positive().default(2.0).describe("ratio at which expensive non-critical endpoints are paused"),
  })
  .strict()
  .refine((t) => t.scale_down < t.reroute && t.reroute < t.shutdown, {
    message: "thresholds must increase: scale_down < reroute < shutdown",
  })
  .describe("the budget ladder's three rungs; they must increase: scale_down < reroute < shutdown");

export const policySchema = z
  .object({
    mode: z
      .enum(["enforce", "dry_run"])
      .default("dry_run")
      .describe("dry_run records what the guardrail would do and changes nothing; enforce acts"),
    budget: z
      .object({
        daily_usd: z.number().positive().describe("daily budget in US dollars"),
        timezone: z
          .string()
          .default("UTC")
          .refine(isTimeZone, { message: "not an IANA time zone (for example Europe/Paris, America/New_York, UTC)" })
          .describe("the budget day starts at midnight in this IANA time zone (23- and 25-hour DST days are handled)"),
      })
      .strict(),
    budgets: budgetsSchema,
    thresholds: thresholdsSchema.default({ scale_down: 1.2, reroute: 1.5, shutdown: 2.0 }),
    expensive_usd_per_hour: z
      .number()
      .min(0)
      .default(0.5)
      .describe(
        "an endpoint whose price per replica-hour is at or above this counts as expensive (so every GPU does); one with no known price counts as expensive unless it runs on CPU",
      ),
    hf: z
      .object({
        namespaces: z.array(z.string().min(1)).min(1).describe("HF users or organisations whose endpoints are guarded"),
      })
      .strict(),
    actions: z
      .object({
        scale_down: z
          .object({
            max_replicas: z.number().int().min(0).default(1).describe("maxReplica set at the scale_down level (never raised)"),
            scale_to_zero_timeout_minutes: z
              .number()
              .int()
              .min(1)
              .default(15)
              .describe("idle minutes before HF scales a capped endpoint to zero (minReplica is set to 0)"),
          })
          .strict()
          .default({ max_replicas: 1, scale_to_zero_timeout_minutes: 15 }),
      })
      .strict()
      .default({ scale_down: { max_replicas: 1, scale_to_zero_timeout_minutes: 15 } }),
    endpoints: z
      .record(z.string(), endpointSettingsSchema)
      .default({})
      .superRefine((entries, ctx) => {
        for (const key of Object.keys(entries)) {
          if (key !== "defaults" && !ENDPOINT_KEY.test(key)) {
            ctx.addIssue({
              code: "custom",
              path: [key],
              message: `endpoint keys are "defaults" or "namespace/name" (lowercase name, up to 32 characters); got "${key}"`,
            });
          }
        }
      })
      .describe(
        "per-endpoint settings keyed `namespace/name` as HF spells them; the `defaults` entry applies to every endpoint unless its own entry says otherwise",
      ),
    overrides: overridesPolicySchema.describe("limits of overrides and who may steer from Slack"),
    approvals: approvalsPolicySchema.describe("ladder levels whose actions wait for a person's approval"),
    status: statusSchema.describe("who may read the status page and the read API"),
    services: servicesSchema,
    ...enginePolicyShape,
    metering: meteringSchema.prefault({}).describe("how spend is metered between observations (docs/metering.md)"),
    billing: billingSchema.prefault({}).describe("reconciliation of the metered spend with HF's billing usage (docs/metering.md)"),
    schedules: schedulesSchema.default(schedulesDefault).describe("predictive schedules on EventBridge Scheduler (docs/schedules.md)"),
    alerts: alertsSchema.prefault({}).describe("where alerts go: Slack, AWS SNS, routing by severity, rate limits, retries"),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const issue of budgetIssues(p)) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    p.billing.user_namespaces.forEach((ns, i) => {
      if (!p.hf.namespaces.includes(ns))
        ctx.addIssue({ code: "custom", path: ["billing", "user_namespaces", i], message: `"${ns}" is not in hf.namespaces` });
    });
  });

export type Policy = z.infer<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
export type EndpointSettingsInput = z.infer<typeof endpointSettingsSchema>;

/** Settings of one endpoint after applying `defaults`. */
export interface EndpointSettings {
  critical: boolean;
  fallback: string | null;
  expected_max_replicas: number | null;
}
