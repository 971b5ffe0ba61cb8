// One error shape for every failure: { "error": { "code", "message", "details"? } }.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type * as z from "zod";
import { formatPath } from "../../src/policy/index.ts";

const body = (code: string, message: string, details?: unknown) => ({
  error: { code, message, ...(details === undefined ? {} : { details }) },
});

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string, details?: unknown) {
  return c.json(body(code, message, details), status);
}

/** The same shape where there is no Hono context (the gateway's requests do not go through Hono). */
export function errorJson(status: number, code: string, message: string, details?: unknown): Response {
  return Response.json(body(code, message, details), { status });
}

export function invalidInput(c: Context, error: z.ZodError) {
  const details = error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  const first = details[0];
  return errorResponse(c, 400, "invalid_request", first ? `${first.path}: ${first.message}` : "invalid request", details);
}
