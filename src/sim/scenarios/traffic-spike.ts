// traffic-spike: from 10:00 the request rate of the chat endpoint jumps to 5x normal (abuse, or a
// launch) and stays there; the autoscaler follows it up to max replicas.
import { scenario } from "./kind.ts";
import { diurnal, jitter, seeded, surge } from "./shapes.ts";

const random = seeded(4);

export const trafficSpike = scenario({
  name: "traffic-spike",
  summary: "from 10:00 the chat endpoint receives 5x its normal request rate until midnight",
  expected: "a request-spike alert (rate > 5x normal); the ladder caps the endpoint when spend crosses 120 %",
  endpoints: [
    {
      name: "chat",
      hardware: "a10g",
      maxReplicas: 16,
      capacityRps: 2,
      coldStartMinutes: 4,
      demand: jitter(surge(diurnal(4, 7), 5, 10), 0.05, random),
    },
    {
      name: "embeddings",
      hardware: "l4",
      maxReplicas: 2,
      capacityRps: 25,
      coldStartMinutes: 2,
      demand: jitter(diurnal(3, 15), 0.05, random),
    },
  ],
});
