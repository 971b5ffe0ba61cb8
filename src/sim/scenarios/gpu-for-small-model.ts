// gpu-for-small-model: a 110M-parameter classifier (BERT-base size) served from an A10G GPU. It answers
// its few requests per second at a few percent utilisation; two CPU cores would do, for a fifteenth of the price.
import { scenario } from "./kind.ts";
import { diurnal, jitter, seeded } from "./shapes.ts";

export const gpuForSmallModel = scenario({
  name: "gpu-for-small-model",
  summary: "a 110M-parameter classifier on an A10G GPU, busy under 5 % of the time",
  expected: "a right-sizing recommendation (utilisation < 10 %: move to CPU); no ladder action, spend well under budget",
  endpoints: [
    {
      name: "sentiment-bert",
      hardware: "a10g",
      maxReplicas: 2,
      capacityRps: 150,
      coldStartMinutes: 2,
      demand: jitter(diurnal(1, 6), 0.1, seeded(5)),
    },
  ],
});
