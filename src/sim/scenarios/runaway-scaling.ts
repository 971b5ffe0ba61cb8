// runaway-scaling: a nightly batch client goes into a retry loop at 02:00 and the autoscaler follows it
// to a max of 20 replicas, far above the 4 the team expects.
import { scenario } from "./kind.ts";
import { diurnal, jitter, plus, seeded } from "./shapes.ts";

const random = seeded(3);

export const runawayScaling = scenario({
  name: "runaway-scaling",
  summary: "a retry loop from 02:00 drives an embedding endpoint to 20 replicas (expected at most 4)",
  expected: "a runaway-scaling alert (replicas above expected_max_replicas); the ladder caps the endpoint when spend crosses 120 %",
  endpoints: [
    {
      name: "embed-batch",
      hardware: "l4",
      maxReplicas: 20,
      capacityRps: 10,
      coldStartMinutes: 2,
      demand: jitter(plus(diurnal(8, 25), 400, 2), 0.05, random),
    },
    { name: "chat", hardware: "a10g", maxReplicas: 4, capacityRps: 2, coldStartMinutes: 4, demand: jitter(diurnal(1, 4), 0.05, random) },
  ],
  settings: (replicas) => ({ "embed-batch": { expected_max_replicas: replicas(4) } }),
});
