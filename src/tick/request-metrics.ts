// Request metrics for the tick: one open-metrics read per endpoint that has replicas up, at most
// `metrics.max_endpoints_per_tick` per tick (each read is a subrequest); a larger fleet is read in
// rotation, so every endpoint is read every ceil(fleet / cap) ticks.

import { splitId } from "../act/index.ts";
import type { Observation } from "../core/index.ts";
import { billableReplicas } from "../core/index.ts";
import { gatewayTrafficLabels, type Policy } from "../policy/index.ts";
import type { EndpointMetrics, EndpointProvider, ProviderError } from "../providers/index.ts";
import { gatewayEndpointTraffic } from "../store/index.ts";

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

/** How far back the gateway's p95 latency looks: the tick's own minute and the four before. */
const GATEWAY_LATENCY_WINDOW_MS = 5 * 60_000;

/**
 * For endpoints whose traffic flows through the gateway (a service's primary or fallback) and that
 * got no open-metrics this tick (not enabled, or the read failed: HF serves it on Team/Enterprise
 * only), the gateway's own figures become their request metrics: cumulative requests and errors
 * (request rate, spike, error rate) and the recent p95 latency (scale-up). One D1 query.
 * Endpoints skipped by this tick's rotation keep their open-metrics, never a mix of the two.
 */
export async function withGatewayMetrics(
  db: D1Database,
  policy: Policy,
  observations: readonly Observation[],
  reading: { metrics: Map<string, EndpointMetrics>; errors: readonly ProviderError[] },
  openMetrics: boolean,
  now: number,
): Promise<void> {
  const labels = gatewayTrafficLabels(policy.services);
  const failed = new Set(reading.errors.map((e) => e.endpoint));
  const wanted = observations
    .map((o) => o.id)
    .filter((id) => labels.has(id) && !reading.metrics.has(id) && (!openMetrics || failed.has(id)));
  if (wanted.length === 0) return;
  const traffic = await gatewayEndpointTraffic(
    db,
    wanted.flatMap((id) => [...(labels.get(id) ?? [])]),
    now - GATEWAY_LATENCY_WINDOW_MS,
  );
  for (const id of wanted) {
    const seen = [...(labels.get(id) ?? [])].map((l) => traffic.get(l)).filter((t) => t !== undefined);
    if (seen.length === 0) continue;
    // One pseudo-replica per label, so each keeps its own cumulative counters; the slowest p95 counts.
    const p95s = seen.map((t) => t.p95LatencyMs).filter((p): p is number => p !== null);
    reading.metrics.set(id, {
      replicas: Object.fromEntries(seen.map((t, i) => [`gateway-${i}`, { requests: t.requests, errors: t.errors }])),
      p95LatencyMs: p95s.length ? Math.max(...p95s) : null,
      pendingRequests: null,
      usagePercent: null,
    });
  }
}
