// Gateway counters (totals from D1) as Prometheus metric families for GET /metrics, written by the
// one Prometheus writer in core.
import { exposition, type MetricFamily } from "../core/index.ts";
import { LATENCY_BOUNDS_MS } from "../store/index.ts";

export interface CounterTotal {
  service: string;
  target: string;
  endpoint: string;
  name: string;
  value: number;
}

/** Counter families: a counter name, or every counter with a prefix (the rest becomes a label). */
const COUNTERS: Array<[string, string, string | { prefix: string; label: string }]> = [
  ["guardrail_gateway_requests_total", "Requests the gateway sent upstream", "requests"],
  ["guardrail_gateway_responses_total", "Upstream responses by status code", { prefix: "status:", label: "code" }],
  ["guardrail_gateway_failures_total", "Upstream requests that got no response (timeout, network)", { prefix: "failure:", label: "kind" }],
  ["guardrail_gateway_errors_total", "Upstream 5xx, 429, timeouts and network failures", "errors"],
  [
    "guardrail_gateway_fallbacks_total",
    "Requests meant for the primary that went to the fallback, by reason (on the primary's series)",
    { prefix: "fallback:", label: "reason" },
  ],
  [
    "guardrail_gateway_refusals_total",
    "Token-priced requests refused with 429 because the budget is exhausted",
    { prefix: "refused:", label: "reason" },
  ],
  ["guardrail_gateway_priced_answers_total", "Answers of token-priced targets whose usage was priced", "priced"],
  [
    "guardrail_gateway_unpriced_answers_total",
    "Answers of token-priced targets without usage (or a model without price): not $0, unknown",
    "unpriced",
  ],
  [
    "guardrail_gateway_spend_micro_usd_total",
    "Token-priced spend through the gateway, micro-USD, by model",
    { prefix: "spend_micro:", label: "model" },
  ],
  ["guardrail_gateway_input_tokens_total", "Prompt tokens of token-priced answers, by model", { prefix: "tokens_in:", label: "model" }],
  [
    "guardrail_gateway_output_tokens_total",
    "Completion tokens of token-priced answers, by model",
    { prefix: "tokens_out:", label: "model" },
  ],
  ["guardrail_gateway_request_bytes_total", "Request body bytes sent upstream", "bytes_in"],
  ["guardrail_gateway_response_bytes_total", "Response body bytes from upstream", "bytes_out"],
];

/** The gateway's metric families (none when there are no counters yet), for the one writer. */
export function gatewayFamilies(totals: readonly CounterTotal[]): MetricFamily[] {
  const groups = new Map<string, { l: Record<string, string>; c: Map<string, number> }>();
  for (const t of totals) {
    const id = `${t.service}\u0000${t.target}\u0000${t.endpoint}`;
    let g = groups.get(id);
    if (!g) {
      g = { l: { service: t.service, target: t.target, endpoint: t.endpoint }, c: new Map() };
      groups.set(id, g);
    }
    g.c.set(t.name, (g.c.get(t.name) ?? 0) + t.value);
  }
  const simple = (counter: string) =>
    [...groups.values()].filter((g) => g.c.has(counter)).map((g) => ({ labels: g.l, value: g.c.get(counter) ?? 0 }));
  const byPrefix = (prefix: string, label: string) =>
    [...groups.values()].flatMap((g) =>
      [...g.c].filter(([n]) => n.startsWith(prefix)).map(([n, value]) => ({ labels: { ...g.l, [label]: n.slice(prefix.length) }, value })),
    );
  const histogram: MetricFamily["samples"] = [];
  for (const g of groups.values()) {
    let cumulative = 0;
    for (const b of LATENCY_BOUNDS_MS) {
      cumulative += g.c.get(`latency_le_ms:${b}`) ?? 0;
      histogram.push({ suffix: "_bucket", labels: { ...g.l, le: String(b / 1000) }, value: cumulative });
    }
    cumulative += g.c.get("latency_le_ms:inf") ?? 0;
    histogram.push({ suffix: "_bucket", labels: { ...g.l, le: "+Inf" }, value: cumulative });
    histogram.push({ suffix: "_sum", labels: g.l, value: (g.c.get("latency_sum_ms") ?? 0) / 1000 });
    histogram.push({ suffix: "_count", labels: g.l, value: cumulative });
  }
  return [
    ...COUNTERS.map(
      ([name, help, source]): MetricFamily => ({
        name,
        help,
        type: "counter",
        samples: typeof source === "string" ? simple(source) : byPrefix(source.prefix, source.label),
      }),
    ),
    {
      name: "guardrail_gateway_upstream_latency_seconds",
      help: "Time to the upstream's response headers",
      type: "histogram",
      samples: histogram,
    },
  ];
}

/** The gateway's families as Prometheus text; empty when there are no counters yet. */
export const renderGatewayMetrics = (totals: readonly CounterTotal[]): string => exposition(gatewayFamilies(totals));
