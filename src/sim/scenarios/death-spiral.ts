// death-spiral: spiky traffic on a big GPU endpoint with min replicas 0 and a one-minute scale-to-zero
// timeout. Every burst is a cold start (billed while initializing); requests pile up while it starts, so
// the autoscaler adds replicas that are ready only after the burst, then everything drops back to zero.
import { scenario } from "./kind.ts";
import { bursts, diurnal, jitter, seeded } from "./shapes.ts";

export const deathSpiral = scenario({
  name: "death-spiral",
  summary: "bursts every 5 minutes on 8xA100 with min replicas 0: a cold start per burst, replicas piling up",
  expected: "a cold-start alert; the ladder caps replicas (ending the scale-to-zero thrash) and pauses if spend still reaches 200 %",
  endpoints: [
    {
      name: "llm-70b",
      hardware: "a100x8",
      minReplicas: 0,
      maxReplicas: 6,
      scaleToZeroMinutes: 1,
      capacityRps: 1,
      coldStartMinutes: 3,
      demand: bursts(3, 5, 1),
    },
    {
      name: "embeddings",
      hardware: "l4",
      maxReplicas: 2,
      capacityRps: 25,
      coldStartMinutes: 2,
      demand: jitter(diurnal(3, 15), 0.05, seeded(2)),
    },
  ],
});
