// Request metrics for the tick: one open-metrics read per endpoint that has replicas up, at most
// `metrics.max_endpoints_per_tick` per tick (each read is a subrequest); a larger fleet is read in
// rotation, so every endpoint is read every ceil(fleet / cap) ticks.
import { billableReplicas } from "../core/index.ts";
import type { Observation } from "../core/types.ts";
import type { Policy } from "../policy/index.ts";
import type { EndpointMetrics, EndpointProvider, ProviderError } from "../providers/types.ts";
import { splitId } from "./execute.ts";

/** Workers lets an invocation wait on six connections at once; more would only queue. */
const CONCURRENCY = 6;

/** The endpoints to read this tick: awake ones, in id order, a window of `cap` rotating with the tick's minute. */
export function metricsTargets(observations: readonly Observation[], cap: number, now: number): Observation[] {
  const awake = observations.filter((o) => billableReplicas(o) > 0).sort((a, b) => a.id.localeCompare(b.id));
  if (awake.length <= cap) return awake;
  if (cap <= 0) return [];
  const start = (Math.floor(now / 60_000) * cap) % awake.length;
  return Array.from({ length: cap }, (_, i) => awake[(start + i) % awake.length] as Observation);
}

export async function readMetrics(
  provider: EndpointProvider,
  observations: readonly Observation[],
  policy: Policy,
  now: number,
): Promise<{ metrics: Map<string, EndpointMetrics>; errors: ProviderError[] }> {
  const out = { metrics: new Map<string, EndpointMetrics>(), errors: [] as ProviderError[] };
  const read = provider.getOpenMetrics?.bind(provider);
  if (!read || !policy.metrics.open_metrics) return out;
  const queue = metricsTargets(observations, policy.metrics.max_endpoints_per_tick, now);
  const worker = async () => {
    for (let o = queue.shift(); o; o = queue.shift()) {
      const [ns, name] = splitId(o.id);
      const res = await read(ns, name, policy.metrics.names);
      if (res.ok) out.metrics.set(o.id, res.value);
      else out.errors.push({ ...res.error, endpoint: o.id, message: `open-metrics: ${res.error.message}` });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out;
}
