// The summary `npm run simulate -- --json` prints: one object, a public contract (README,
// "Reading the output"). The zod schema is the single source of the shape; tests parse the CLI's output with it.
import * as z from "zod";
import { LEVEL_NAMES } from "../core/index.ts";

const at = z.iso.datetime().describe("UTC ISO time");

export const simulationResultSchema = z
  .object({
    spend_without_usd: z.number().describe("what HF would bill for the span with no guardrail"),
    spend_with_usd: z.number().describe("what HF would bill for the span with the guardrail acting"),
    budget_usd: z.number().describe("the policy's daily budget"),
    peak_ratio: z.number().describe("highest ratio of a budget day's spend (with the guardrail) to the daily budget"),
    crossings: z
      .array(z.object({ level: z.enum(LEVEL_NAMES.slice(1) as [string, ...string[]]), at }).strict())
      .describe("when the guardrail's metered spend reached each threshold (the tick that acted)"),
    actions: z.array(z.object({ at, action: z.string(), endpoint: z.string(), reason: z.string() }).strict()),
    alerts: z.array(z.object({ at, kind: z.string(), endpoint: z.string().nullable() }).strict()),
    overshoot_usd: z.number().describe("spend (with the guardrail) after the bill crossed the shutdown threshold"),
    cold_starts: z.number().int().describe("endpoints going from 0 billed replicas to at least 1, with the guardrail"),
    budgets: z
      .array(
        z
          .object({
            name: z.string().describe('the budget\'s name; "fleet" is the `budget:` block'),
            period: z.enum(["day", "month"]),
            amount_usd: z.number().describe("its amount for one period"),
            members: z.array(z.string()).describe("the trace's endpoints it pays for, namespace/name"),
            spend_without_usd: z.number().describe("what its members were billed over the span, with no guardrail"),
            spend_with_usd: z.number().describe("the same with the guardrail acting"),
            peak_ratio: z.number().describe("highest ratio of one period's spend (with the guardrail) to its amount"),
            crossings: z
              .array(z.object({ level: z.enum(LEVEL_NAMES.slice(1) as [string, ...string[]]), at }).strict())
              .describe("when the guardrail's ticks raised this budget's level"),
          })
          .strict(),
      )
      .describe("each budget of the policy, the fleet's first, then `budgets:` in order"),
  })
  .strict();

export type SimulationResult = z.infer<typeof simulationResultSchema>;
