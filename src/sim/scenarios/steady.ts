// steady: a well-sized fleet on an ordinary day, about 40 % of the budget. Nothing should fire. The daily
// swing stays under 2x per endpoint: on a first day, with no history yet, the spend-spike trigger's
// fallback baseline is the night, and a fleet that doubles every morning would read as a spike.
import { scenario } from "./kind.ts";
import { diurnal, jitter, seeded } from "./shapes.ts";

const random = seeded(1);

export const steady = scenario({
  name: "steady",
  summary: "a well-sized fleet on an ordinary day, about 40 % of the daily budget",
  expected: "nothing fires: no crossing, no action, no alert",
  endpoints: [
    {
      name: "chat",
      hardware: "a10g",
      maxReplicas: 6,
      capacityRps: 2,
      coldStartMinutes: 4,
      demand: jitter(diurnal(2.6, 4.4), 0.05, random),
    },
    {
      name: "embeddings",
      hardware: "l4",
      maxReplicas: 3,
      capacityRps: 25,
      coldStartMinutes: 2,
      demand: jitter(diurnal(4, 18), 0.05, random),
    },
    {
      name: "classifier-cpu",
      hardware: "cpu",
      maxReplicas: 2,
      capacityRps: 1,
      coldStartMinutes: 1,
      demand: jitter(diurnal(0.3, 1.5), 0.05, random),
    },
  ],
});
