// The routing decision, pure: given the service's mode, what is known of its primary and fallback,
// and the primary's recent health, which target comes first and whether a failure at the
// primary may still go to the fallback. Also which primary outcomes count as overflow.
import type { RouteMode } from "../core/index.ts";
import type { OverflowLimits } from "../policy/index.ts";
import type { Failure } from "./counters.ts";

/** Why a request went to the fallback; a label on the `fallback:<reason>` counter and the X-Guardrail-Reason header. */
export type FallbackReason =
  | "mode" // the route mode is `fallback`
  | "primary_paused" // the last observation shows the primary paused or failed
  | "primary_no_url" // the primary endpoint has no URL (not observed yet, or not deployed)
  | "queue" // too many requests waiting for the primary
  | "error_rate" // the primary's recent error rate is over the limit
  | "timeout" // the primary did not answer in time
  | "unreachable" // the request to the primary failed
  | `status_${number}`; // the primary answered with an overflow status

/** States in which an endpoint cannot answer: traffic goes to the fallback whatever the mode. */
export const UNAVAILABLE_STATES: ReadonlySet<string> = new Set(["paused", "failed"]);

export interface RouteInputs {
  mode: RouteMode;
  primary: { url: string | null; state: string | null };
  fallbackUrl: string | null;
  /** the fallback endpoint's observed state (null for URL targets): a paused fallback takes no traffic */
  fallbackState?: string | null;
  /** requests waiting for the primary's response headers */
  queue: number;
  /** the primary's recent error rate, or null when there were too few requests to tell */
  errorRate: number | null;
  limits: OverflowLimits;
}

export type RouteDecision =
  /** try the primary; `overflow` says whether an overflow outcome may still go to the fallback */
  { first: "primary"; overflow: boolean } | { first: "fallback"; reason: FallbackReason } | { first: "none"; message: string };

export function decideRoute(i: RouteInputs): RouteDecision {
  const fallbackKnown = i.fallbackUrl !== null && !(i.fallbackState != null && UNAVAILABLE_STATES.has(i.fallbackState));
  const unavailable: FallbackReason | null =
    i.primary.state !== null && UNAVAILABLE_STATES.has(i.primary.state)
      ? "primary_paused"
      : i.primary.url === null
        ? "primary_no_url"
        : null;

  if (unavailable) {
    if (fallbackKnown) return { first: "fallback", reason: unavailable };
    return { first: "none", message: `the primary is unavailable (${unavailable}) and the fallback has no URL or is paused` };
  }
  if (!fallbackKnown) return { first: "primary", overflow: false };
  if (i.mode === "fallback") return { first: "fallback", reason: "mode" };
  if (i.mode === "primary") return { first: "primary", overflow: false };
  // overflow: the primary first, unless it is already over a limit.
  if (i.limits.max_queue !== null && i.queue >= i.limits.max_queue) return { first: "fallback", reason: "queue" };
  if (i.limits.max_error_rate !== null && i.errorRate !== null && i.errorRate >= i.limits.max_error_rate) {
    return { first: "fallback", reason: "error_rate" };
  }
  return { first: "primary", overflow: true };
}

/** Whether the primary's outcome sends the request on to the fallback, and why. */
export function overflowReason(status: number | null, failure: Failure | null, limits: OverflowLimits): FallbackReason | null {
  if (failure === "timeout") return "timeout";
  if (failure === "network") return "unreachable";
  if (status !== null && limits.on_status.includes(status)) return `status_${status}`;
  return null;
}
