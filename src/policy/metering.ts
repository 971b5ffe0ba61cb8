// Metering settings (docs/metering.md): when an interval between two observations counts as a gap.
import * as z from "zod";

export const meteringSchema = z
  .object({
    gap_minutes: z
      .number()
      .int()
      .min(2)
      .max(1440)
      .default(5)
      .describe(
        "an interval between two observations longer than this is a gap: metered at the earlier count (the later one as the high bound), marked estimated, and never alone a reason to pause",
      ),
  })
  .strict();
