// What the core reasons about an endpoint, as any provider observes it: its state and scaling (the
// snapshot) and its request metrics, and the partial update a change sends. Providers (providers/) normalise their payloads into these.

/** Real HF state names (see shared/reference/hf-endpoints-api.md §2.1). */
export const ENDPOINT_STATES = [
  "pending",
  "initializing",
  "updating",
  "updateFailed",
  "running",
  "paused",
  "failed",
  "scaledToZero",
] as const;
export type EndpointState = (typeof ENDPOINT_STATES)[number];

/** The fields of an endpoint the guardrail reasons about, normalised from the provider's payload. */
export interface EndpointSnapshot {
  namespace: string;
  name: string;
  state: EndpointState;
  readyReplica: number;
  targetReplica: number;
  minReplica: number;
  maxReplica: number;
  scaleToZeroTimeout: number | null;
  vendor: string | null;
  region: string | null;
  accelerator: string | null;
  instanceType: string | null;
  instanceSize: string | null;
  /** compute.id when the provider sends it, e.g. aws-us-east-1-nvidia-l4-x1 */
  computeId: string | null;
  url: string | null;
  updatedAt: string | null;
  updatedBy: string | null;
  /** the endpoint's HF tags (budgets select endpoints by tag); absent in snapshots stored before tags were kept */
  tags?: string[];
}

/**
 * The hardware a price is for: vendor, region, instance type and size. A price an endpoint was metered at
 * holds only while the endpoint keeps this hardware.
 */
export function hardwareKey(e: Pick<EndpointSnapshot, "vendor" | "region" | "instanceType" | "instanceSize">): string {
  return `${e.vendor}|${e.region}|${e.instanceType}|${e.instanceSize}`;
}

/** Partial update body: only the keys being changed (HF merges PUT bodies). */
export interface EndpointUpdate {
  compute?: {
    instanceType?: string;
    instanceSize?: string;
    accelerator?: string;
    scaling?: {
      minReplica?: number;
      maxReplica?: number;
      scaleToZeroTimeout?: number;
    };
  };
}

/** Request metrics of one endpoint at one instant, normalised from its open-metrics export. */
export interface EndpointMetrics {
  /** cumulative counters per replica id (a replica that goes away takes its counters with it) */
  replicas: Record<string, { requests: number; errors: number }>;
  /** p95 latency in milliseconds, when exported */
  p95LatencyMs: number | null;
  /** requests waiting or in flight, when exported */
  pendingRequests: number | null;
  /** hardware usage in percent: the accelerator's when exported, else the CPU's (for display; decisions use the two below) */
  usagePercent: number | null;
  /** CPU busy percent, mean over replicas, when exported (absent: not read apart) */
  cpuUsagePercent?: number | null;
  /** GPU / accelerator busy percent, mean over replicas, when exported */
  acceleratorUsagePercent?: number | null;
}
