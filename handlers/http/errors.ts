// One error shape for every failure: { "error": { "code", "message", "details"? } }.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type * as z from "zod";
import { formatPath } from "../../src/policy/index.ts";

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string, details?: unknown) {
  return c.json({ error: { code, message, ...(details === undefined ? {} : { details }) } }, status);
}

export function invalidInput(c: Context, error: z.ZodError) {
  const details = error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  const first = details[0];
  return errorResponse(c, 400, "invalid_request", first ? `${first.path}: ${first.message}` : "invalid request", details);
}
