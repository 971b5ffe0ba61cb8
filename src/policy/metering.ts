// Metering settings (docs/metering.md): when an interval between two observations counts as a gap, how
// HF bills a last partial minute, and how sure of the estimate the emergency pause must be.
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
    pause_margin_sigmas: z
      .number()
      .min(0)
      .max(4)
      .default(2)
      .describe(
        "standard errors of today's estimate the emergency pause keeps below 200 %: it pauses once the estimate less this many standard errors reaches the shutdown threshold. 2 (the default) pauses before the bill gets there about once in 44 crossings and comes later on fleets whose replicas start and stop every few minutes; 0 pauses within a tick of the estimate reading 200 % (the crossing tick's own, unconfirmed interval waits for the next), near the bill's crossing on average and as often early as late. Fleets whose replicas live long have a standard error of cents, where this changes nothing",
      ),
  })
  .strict();
