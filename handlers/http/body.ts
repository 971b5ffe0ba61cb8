// Request bodies: a size limit answered with the JSON error shape, and control errors as responses.
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ControlError } from "../../src/control/index.ts";
import type { AppEnv } from "./app.ts";
import { errorResponse } from "./errors.ts";

export const limitBody = (maxBytes: number): MiddlewareHandler<AppEnv> =>
  bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      errorResponse(c, 413, "payload_too_large", `body: larger than ${maxBytes} bytes`, [
        { path: "body", message: `at most ${maxBytes} bytes` },
      ]),
  });

export const controlError = (c: Context, e: ControlError) =>
  errorResponse(c, e.status, e.code, e.message, [{ path: e.field, message: e.message }]);
