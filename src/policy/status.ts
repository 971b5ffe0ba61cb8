// Policy section `status`: who may read the status page and the read API.
import * as z from "zod";

export const statusSchema = z
  .object({
    public: z
      .boolean()
      .default(false)
      .describe("true lets anyone read GET / and the read API without READ_TOKEN; keep false unless the Worker is private"),
  })
  .strict()
  .default({ public: false });
