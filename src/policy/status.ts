// Policy section `status`: who may read the status page and the read API.
import * as z from "zod";

export const statusSchema = z
  .object({
    public: z
      .boolean()
      .default(false)
      .describe(
        "true lets anyone read the status page (GET /), /v1/status, /v1/events, GET /v1/overrides and /metrics without READ_TOKEN; keep false unless the Worker is reachable only by your team",
      ),
  })
  .strict()
  .default({ public: false });
