// The simulated fleet `npm start` guards: four GPU endpoints (one critical) and a cheap CPU
// fallback, about $31.50/h in all with the emulator's default prices.
import type { EndpointSpec } from "./emulator.ts";

export const DEMO_NAMESPACE = "demo";

export const DEMO_FLEET: EndpointSpec[] = [
  { name: "chat-prod", instanceType: "nvidia-h200", instanceSize: "x1", accelerator: "gpu", minReplica: 2, maxReplica: 2, replicas: 2 },
  { name: "batch-llm", instanceType: "nvidia-a100", instanceSize: "x1", accelerator: "gpu", minReplica: 2, maxReplica: 8, replicas: 6 },
  { name: "summarizer", instanceType: "nvidia-a10g", instanceSize: "x1", accelerator: "gpu", minReplica: 2, maxReplica: 6, replicas: 4 },
  { name: "embeddings", instanceType: "nvidia-l4", instanceSize: "x1", accelerator: "gpu", minReplica: 1, maxReplica: 4, replicas: 3 },
  { name: "summarizer-cpu", instanceType: "intel-spr", instanceSize: "x2", accelerator: "cpu", minReplica: 1, maxReplica: 2, replicas: 1 },
];
