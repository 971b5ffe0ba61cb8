// GET /v1/status: the budget day at a glance: spend, ratio, level, every budget, endpoints, last tick,
// problems, alert delivery. The figures are the status model's (src/status), which the status page,
// Slack `/guardrail status` and /metrics render too.
import { Hono } from "hono";
import * as z from "zod";
import { readStatus } from "../../src/status/index.ts";
import type { Config } from "../config.ts";
import type { AppEnv } from "./app.ts";
import { invalidInput } from "./errors.ts";

/** The status model for this deployment at `now` (of `day`, default today). */
export const loadStatus = (env: Cloudflare.Env, config: Config, now: number, day?: string) => readStatus(env.DB, config, env, now, day);

const query = z
  .object({
    day: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD")
      .optional(),
  })
  .strict();

export const statusRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const parsed = query.safeParse(c.req.query());
  if (!parsed.success) return invalidInput(c, parsed.error);
  const { json } = await loadStatus(c.env, c.var.runtime.config, c.get("clock")(), parsed.data.day);
  return c.json(json);
});
