// budget-blowout: an 8xH200 evaluation job left running all day beside the chat endpoint: the fleet burns
// about five times the daily budget, so spend walks up the whole ladder.
import { scenario } from "./kind.ts";
import { DAY_MINUTES, diurnal, jitter, seeded } from "./shapes.ts";

export const budgetBlowout = scenario({
  name: "budget-blowout",
  summary: "an 8xH200 evaluation box left running all day: about 5x the daily budget",
  expected: "120 %, 150 % and 200 % crossed in that order: caps, then the reroute of chat, then the pause of both GPU endpoints",
  endpoints: [
    // min = max: one box whatever the traffic, so the cap at 120 % cannot help; only the pause stops it.
    {
      name: "eval-h200",
      hardware: "h200x8",
      minReplicas: 1,
      maxReplicas: 1,
      capacityRps: 2,
      coldStartMinutes: 10,
      demand: new Array<number>(DAY_MINUTES).fill(0.5),
    },
    {
      name: "chat",
      hardware: "a10g",
      maxReplicas: 4,
      capacityRps: 2,
      coldStartMinutes: 4,
      demand: jitter(diurnal(1.5, 6), 0.05, seeded(6)),
    },
  ],
  // At the reroute level chat's overflow (through the gateway service) goes to HF Inference
  // Providers, billed per token: illustrative rates for an 8B model.
  services: {
    chat: {
      endpoint: "chat",
      fallback: "https://router.huggingface.co/v1",
      pricing: { input_usd_per_million: 0.2, output_usd_per_million: 0.6 },
    },
  },
});
