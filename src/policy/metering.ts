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
    partial_minute: z
      .enum(["rounded_up", "prorated"])
      .default("rounded_up")
      .describe(
        "how HF bills a replica's last, partial minute (HF says only \"billed per minute\"): rounded_up adds half a minute to the estimate for every replica that starts (its expected share of a whole minute charged), prorated meters the replica time as it is; the high bound allows the whole minute either way. Compare a month's invoice with the metered figure and pick the one it matches",
      ),
  })
  .strict();
