// The simulated fleet `npm start` guards: four GPU endpoints (one critical) and a cheap CPU
// fallback, about $31.50/h in all with the emulator's default prices. chat-prod has queueing traffic.
import type { EndpointSpec } from "./emulator.ts";

export const DEMO_NAMESPACE = "demo";

export const DEMO_FLEET: EndpointSpec[] = [
  {
    name: "chat-prod",
    instanceType: "nvidia-h200",
    instanceSize: "x1",
    accelerator: "gpu",
    minReplica: 2,
    maxReplica: 2,
    replicas: 2,
    // Slow and queueing: the guardrail wants a third replica but the budget holds it back.
    traffic: { rps: 20, p95Ms: 650, pending: 14, usagePct: 85 },
  },
  { name: "batch-llm", instanceType: "nvidia-a100", instanceSize: "x1", accelerator: "gpu", minReplica: 2, maxReplica: 8, replicas: 6 },
  { name: "summarizer", instanceType: "nvidia-a10g", instanceSize: "x1", accelerator: "gpu", minReplica: 2, maxReplica: 6, replicas: 4 },
  { name: "embeddings", instanceType: "nvidia-l4", instanceSize: "x1", accelerator: "gpu", minReplica: 1, maxReplica: 4, replicas: 3 },
  { name: "summarizer-cpu", instanceType: "intel-spr", instanceSize: "x2", accelerator: "cpu", minReplica: 1, maxReplica: 2, replicas: 1 },
];
