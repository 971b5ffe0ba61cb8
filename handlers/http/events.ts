// GET /v1/events: actions, alerts and errors, newest first, filtered by type, kind and endpoint.
import { Hono } from "hono";
import * as z from "zod";
import { listEvents } from "../../src/store/index.ts";
import type { AppEnv } from "./app.ts";
import { invalidInput } from "./errors.ts";

const query = z
  .object({
    type: z.enum(["action", "alert", "error", "override"]).optional(),
    kind: z.string().min(1).max(64).optional(),
    endpoint: z.string().min(3).max(200).optional(),
    before: z.coerce.number().int().positive().optional(),
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

export const eventsRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const parsed = query.safeParse(c.req.query());
  if (!parsed.success) return invalidInput(c, parsed.error);
  const events = await listEvents(c.env.DB, parsed.data);
  const last = events.at(-1);
  return c.json({
    events,
    // Page backwards with ?before=<next_before>.
    next_before: events.length === parsed.data.limit && last ? last.id : null,
  });
});
