// The fleet model: traffic and an HF-like autoscaler in front of the emulator. Each step it offers an
// endpoint its demand, serves what the ready replicas can, queues the rest, and asks the emulator for
// replicas the way HF's autoscaler would. The emulator stays the world: it holds state and replicas,
// bills them, and applies whatever the guardrail changes (caps, pauses) through the HF API.
//
// The model, per endpoint (HF autoscaling guide: "more than 1.5 pending requests per replica ... adds
// a replica"; "scaling up ... every minute and scaling down ... every 2 minutes ... with a stabilization
// of 300 seconds once scaled down"):
// - a replica serves one request at a time, each taking 1 / capacity_rps_per_replica seconds, so a busy
//   replica holds one request in flight; requests that find no free replica wait (up to HOLD_MS, as
//   with `X-Scale-Up-Timeout`) and then fail;
// - pending requests = in flight + waiting; above 1.5 per replica the autoscaler adds one replica, at
//   most once a minute; new replicas initialize for cold_start_minutes (billed) before they serve;
// - every 2 minutes it may scale down to what the busiest moment of the last 5 minutes needed at 80 %
//   utilisation, and not sooner than 5 minutes after the previous scale-down;
// - with no traffic and nothing waiting it drops to its floor at once, which starts HF's scale-to-zero
//   timer (the emulator scales to zero after scale_to_zero_timeout_minutes when min_replicas is 0);
// - traffic to an endpoint scaled to zero wakes it with one replica: a cold start.
// Each step's traffic goes to the emulator's open-metrics (request rate, 5xx share, pending requests,
// hardware usage), which the guardrail reads as it reads HF's. No latency is exported: the model's only
// latency is the service time 1 / capacity, an artefact of how capacity is given, not a measurement.
import type { RouteMode } from "../core/index.ts";
import type { Emulator, RawEndpoint } from "../fakes/index.ts";

export const AUTOSCALER = {
  pendingPerReplica: 1.5,
  scaleUpEveryMs: 60_000,
  scaleDownEveryMs: 120_000,
  scaleDownStabilizationMs: 300_000,
  targetUtilisation: 0.8,
  holdMs: 300_000,
} as const;

/** What the model needs of the emulator: read an endpoint, set the autoscaler's demand, report the traffic. */
export type FleetControl = Pick<Emulator, "endpoint" | "setReplicas" | "setTraffic">;

export interface ModelEndpoint {
  namespace: string;
  name: string;
  capacityRps: number;
}

export interface RouteState {
  mode: RouteMode;
  /** `ns/name` of another endpoint in the fleet, or anything else (served outside the simulated fleet) */
  fallback: string | null;
}

/** One endpoint during one step. */
export interface TrafficFigures {
  state: string;
  /** requests per second offered to the endpoint (after rerouting) */
  demandRps: number;
  servedRps: number;
  /** requests per second that failed: endpoint paused, or waited longer than the hold time */
  failedRps: number;
  /** requests per second sent to the fallback by a reroute */
  reroutedRps: number;
  /** requests waiting at the end of the step */
  queued: number;
  pendingPerReplica: number;
  /** busy share of the ready replicas' capacity, 0..1 */
  utilisation: number;
  readyReplicas: number;
  targetReplicas: number;
  /** replicas HF bills (awake states) */
  billableReplicas: number;
}

interface EndpointState {
  spec: ModelEndpoint;
  queue: number;
  lastUpAt: number;
  lastDownAt: number;
  lastDownEvalAt: number;
  /** (time, replicas needed at the target utilisation), for the scale-down window */
  needs: Array<{ at: number; need: number }>;
  billable: number;
  coldStarts: number;
  /** what the model last asked the emulator for */
  demanded: number;
  /** requests that arrived in the last HOLD_MS, per step: the most that may still be waiting */
  arrivals: Array<{ at: number; n: number }>;
}

const AWAKE = new Set(["initializing", "running", "updating"]);

export const endpointId = (e: { namespace: string; name: string }): string => `${e.namespace}/${e.name}`;

export const billableOf = (raw: RawEndpoint): number => (AWAKE.has(raw.status.state) ? raw.status.targetReplica : 0);

/** Replicas the autoscaler settles on for a demand: enough for the target utilisation, within [min, max]. */
export function steadyReplicas(demandRps: number, capacityRps: number, minReplica: number, maxReplica: number): number {
  if (demandRps <= 0) return minReplica;
  const need = Math.ceil(demandRps / (capacityRps * AUTOSCALER.targetUtilisation));
  return Math.min(Math.max(need, minReplica, 1), maxReplica);
}

export class FleetModel {
  private readonly endpoints = new Map<string, EndpointState>();

  constructor(
    private readonly control: FleetControl,
    endpoints: readonly ModelEndpoint[],
  ) {
    for (const spec of endpoints) {
      const raw = this.read(spec);
      this.endpoints.set(endpointId(spec), {
        spec,
        queue: 0,
        lastUpAt: Number.NEGATIVE_INFINITY,
        lastDownAt: Number.NEGATIVE_INFINITY,
        lastDownEvalAt: Number.NEGATIVE_INFINITY,
        needs: [],
        billable: billableOf(raw),
        coldStarts: 0,
        demanded: raw.status.targetReplica,
        arrivals: [],
      });
    }
  }

  /** Cold starts so far: an endpoint going from 0 billed replicas to at least one. */
  coldStarts(id?: string): number {
    if (id !== undefined) return this.endpoints.get(id)?.coldStarts ?? 0;
    let n = 0;
    for (const e of this.endpoints.values()) n += e.coldStarts;
    return n;
  }

  /**
   * Offers each endpoint its demand for the step starting at `now` and lets the autoscaler react.
   * `routes` are the guardrail's reroutes: overflow (or all traffic) goes to the fallback.
   */
  step(
    now: number,
    stepMs: number,
    demand: ReadonlyMap<string, number>,
    routes: ReadonlyMap<string, RouteState> = new Map(),
  ): Map<string, TrafficFigures> {
    const offered = new Map<string, number>();
    const rerouted = new Map<string, number>();
    for (const id of this.endpoints.keys()) offered.set(id, demand.get(id) ?? 0);
    // Reroutes first, so a fallback in the fleet sees the traffic sent to it in the same step.
    for (const [id, e] of this.endpoints) {
      const route = routes.get(id);
      if (!route || route.mode === "primary" || !route.fallback) continue;
      const raw = this.read(e.spec);
      const own = offered.get(id) ?? 0;
      const capacity = AWAKE.has(raw.status.state) ? raw.status.readyReplica * e.spec.capacityRps : 0;
      const keep = route.mode === "overflow" ? Math.min(own, capacity) : 0;
      offered.set(id, keep);
      rerouted.set(id, own - keep);
      if (this.endpoints.has(route.fallback)) offered.set(route.fallback, (offered.get(route.fallback) ?? 0) + own - keep);
    }
    const out = new Map<string, TrafficFigures>();
    for (const [id, e] of this.endpoints) out.set(id, this.stepOne(e, now, stepMs, offered.get(id) ?? 0, rerouted.get(id) ?? 0));
    return out;
  }

  private stepOne(e: EndpointState, now: number, stepMs: number, demandRps: number, reroutedRps: number): TrafficFigures {
    const { spec } = e;
    const seconds = stepMs / 1000;
    let raw = this.read(spec);
    if (raw.status.state === "scaledToZero" && demandRps > 0) {
      this.demand(e, 1);
      e.lastUpAt = now;
      raw = this.read(spec);
    }
    if (!AWAKE.has(raw.status.state)) {
      // Paused, failed or still at zero: nothing serves; waiting requests give up.
      e.queue = 0;
      e.needs = [];
      e.arrivals = [];
      return this.figures(e, raw, { demandRps, servedRps: 0, failedRps: demandRps, reroutedRps, pending: 0 });
    }

    const ready = raw.status.readyReplica;
    const arrivals = demandRps * seconds;
    e.arrivals.push({ at: now, n: arrivals });
    while ((e.arrivals[0]?.at ?? now) <= now - AUTOSCALER.holdMs) e.arrivals.shift();
    const served = Math.min(e.queue + arrivals, ready * spec.capacityRps * seconds);
    const waiting = e.queue + arrivals - served;
    // First in, first out: what waits can only be among the requests of the last HOLD_MS; older ones gave up.
    const maxWaiting = e.arrivals.reduce((sum, a) => sum + a.n, 0);
    const failed = Math.max(0, waiting - maxWaiting);
    e.queue = waiting - failed;
    const servedRps = served / seconds;
    const target = Math.max(raw.status.targetReplica, 1);
    const pending = (servedRps / spec.capacityRps + e.queue) / target;

    const need = demandRps > 0 ? Math.ceil(demandRps / (spec.capacityRps * AUTOSCALER.targetUtilisation)) : 0;
    while ((e.needs[0]?.at ?? now) <= now - AUTOSCALER.scaleDownStabilizationMs) e.needs.shift();

    let want = raw.status.targetReplica;
    if (demandRps === 0 && e.queue < 1) {
      want = 0;
    } else if (pending > AUTOSCALER.pendingPerReplica && now - e.lastUpAt >= AUTOSCALER.scaleUpEveryMs) {
      if (want < raw.compute.scaling.maxReplica) {
        want += 1;
        e.lastUpAt = now;
      }
    } else if (now - e.lastDownEvalAt >= AUTOSCALER.scaleDownEveryMs) {
      e.lastDownEvalAt = now;
      // As Kubernetes' HPA does: scale down only to the highest recommendation of the stabilization window.
      const floor = Math.max(1, need, ...e.needs.map((n) => n.need));
      if (e.queue < 1 && floor < want && now - e.lastDownAt >= AUTOSCALER.scaleDownStabilizationMs) {
        want = floor;
        e.lastDownAt = now;
      }
    }
    // The step's recommendation: what the load needs, or the replica just added for the queue.
    e.needs.push({ at: now, need: Math.max(need, want > raw.status.targetReplica ? want : 0) });
    if (want !== e.demanded || want !== raw.status.targetReplica) {
      this.demand(e, want);
      raw = this.read(spec);
    }
    return this.figures(e, raw, { demandRps, servedRps, failedRps: failed / seconds, reroutedRps, pending });
  }

  private figures(
    e: EndpointState,
    raw: RawEndpoint,
    f: { demandRps: number; servedRps: number; failedRps: number; reroutedRps: number; pending: number },
  ): TrafficFigures {
    const billable = billableOf(raw);
    if (e.billable === 0 && billable > 0) e.coldStarts++;
    e.billable = billable;
    const ready = AWAKE.has(raw.status.state) ? raw.status.readyReplica : 0;
    const utilisation = ready > 0 ? Math.min(1, f.servedRps / (ready * e.spec.capacityRps)) : 0;
    this.control.setTraffic(e.spec.namespace, e.spec.name, {
      rps: f.demandRps,
      errorRate: f.demandRps > 0 ? Math.min(1, f.failedRps / f.demandRps) : 0,
      pending: e.queue + f.servedRps / e.spec.capacityRps,
      usagePct: utilisation * 100,
      p95Ms: null,
    });
    return {
      state: raw.status.state,
      demandRps: f.demandRps,
      servedRps: f.servedRps,
      failedRps: f.failedRps,
      reroutedRps: f.reroutedRps,
      queued: e.queue,
      pendingPerReplica: f.pending,
      utilisation,
      readyReplicas: ready,
      targetReplicas: raw.status.targetReplica,
      billableReplicas: billable,
    };
  }

  private demand(e: EndpointState, replicas: number): void {
    e.demanded = replicas;
    this.control.setReplicas(e.spec.namespace, e.spec.name, replicas);
  }

  private read(spec: ModelEndpoint): RawEndpoint {
    const raw = this.control.endpoint(spec.namespace, spec.name);
    if (!raw) throw new Error(`the emulator has no endpoint ${endpointId(spec)}`);
    return raw;
  }
}
