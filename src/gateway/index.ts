// Public surface of the inference gateway: the Gateway (one per isolate), the pure routing
// decision, and the metric helpers /metrics and the engine's triggers use.

export { LATENCY_BOUNDS_MS, type LatencyPercentiles, percentiles } from "../store/index.ts";
export { callerAllowed, presentedKey } from "./caller-auth.ts";
export { Gateway, type GatewayCall, type GatewayError, type GatewayOptions, type GatewayOutcome } from "./gateway.ts";
export { gatewayFamilies, renderGatewayMetrics } from "./prometheus.ts";
export { decideRoute, type FallbackReason, overflowReason, type RouteDecision, type RouteInputs, UNAVAILABLE_STATES } from "./route.ts";
