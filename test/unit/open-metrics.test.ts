// The open-metrics parser and the mapping to the engine's figures, on HF's documented example and
// on the corners of the text format.
import { describe, expect, it } from "vitest";
import { sampleOf } from "../../src/core/history.ts";
import { DEFAULT_METRIC_NAMES, parseOpenMetrics, toEndpointMetrics } from "../../src/providers/hf/open-metrics.ts";
import { endpoint } from "../fixtures/builders.ts";

// Verbatim from HF's analytics guide (shared/reference/hf-endpoints-api.md §3.1).
const HF_EXAMPLE = `# HELP latency_distribution Latency distribution
# TYPE latency_distribution summary
latency_distribution{quantile="0.5"} 0.006339203
latency_distribution{quantile="0.9"} 0.007574241
latency_distribution{quantile="0.95"} 0.007994495
latency_distribution{quantile="0.99"} 0.020140918
latency_distribution_count 4
latency_distribution_sum 0.042048857
# HELP http_requests HTTP requests by code and replicas
# TYPE http_requests counter
http_requests{replica_id="fqwg7eri-hskoj",status_code="200"} 1152
http_requests{replica_id="q9cv26ut-3vo4s",status_code="200"} 1
# HELP cpu_usage_percent CPU percent
# TYPE cpu_usage_percent gauge
# UNIT cpu_usage_percent percent
`;

const parsed = (text: string) => {
  const r = parseOpenMetrics(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe("the open-metrics parser", () => {
  it("reads HF's documented example: requests per replica, p95 in ms, no usage reported", () => {
    const p = parsed(HF_EXAMPLE);
    expect(p.types).toEqual({ latency_distribution: "summary", http_requests: "counter", cpu_usage_percent: "gauge" });
    expect(p.samples).toHaveLength(8);
    const m = toEndpointMetrics(p);
    expect(m).toEqual({
      replicas: { "fqwg7eri-hskoj": { requests: 1152, errors: 0 }, "q9cv26ut-3vo4s": { requests: 1, errors: 0 } },
      p95LatencyMs: expect.closeTo(7.994495, 9),
      pendingRequests: null,
      usagePercent: null,
      cpuUsagePercent: null,
      acceleratorUsagePercent: null,
    });
  });

  it("keeps CPU and accelerator usage apart: a GPU endpoint's usage never comes from its CPU gauge", () => {
    const m = toEndpointMetrics(parsed('cpu_usage_percent{replica_id="a"} 90\n# EOF'));
    expect(m).toMatchObject({ cpuUsagePercent: 90, acceleratorUsagePercent: null });
    const at = Date.UTC(2026, 10, 24, 12);
    const prev = { at: at - 60_000, billableReplicas: 1, priceMicroPerHour: 1_000_000 };
    expect(sampleOf(endpoint({ accelerator: "gpu" }), prev, 0, m, undefined, at)?.usagePct).toBeNull();
    expect(sampleOf(endpoint({ accelerator: "cpu" }), prev, 0, m, undefined, at)?.usagePct).toBe(90);
  });

  it("reads the metric names the policy maps (metrics.names), not only the built-in ones", () => {
    const text = [
      'requests_seen{replica_id="a",code="200"} 5',
      'queue_depth{replica_id="a"} 3',
      'tpu_busy{replica_id="a"} 70',
      "# EOF",
    ].join("\n");
    const names = { ...DEFAULT_METRIC_NAMES, requests: ["requests_seen"], pending: ["queue_depth"], accelerator_usage: ["tpu_busy"] };
    expect(toEndpointMetrics(parsed(text), names)).toMatchObject({
      replicas: { a: { requests: 5, errors: 0 } },
      pendingRequests: 3,
      acceleratorUsagePercent: 70,
    });
    expect(toEndpointMetrics(parsed(text)).pendingRequests).toBeNull();
  });

  it("counts 5xx as errors, sums pending over replicas, averages usage, prefers the GPU over the CPU", () => {
    const m = toEndpointMetrics(
      parsed(
        [
          'http_requests_total{replica_id="a",status_code="200"} 90',
          'http_requests_total{replica_id="a",status_code="503"} 7',
          'http_requests_total{replica_id="a",status_code="429"} 3',
          'pending_requests{replica_id="a"} 4',
          'pending_requests{replica_id="b"} 8',
          'gpu_usage_percent{replica_id="a"} 20',
          'gpu_usage_percent{replica_id="b"} 40',
          'cpu_usage_percent{replica_id="a"} 90',
          "# EOF",
        ].join("\n"),
      ),
    );
    expect(m.replicas).toEqual({ a: { requests: 100, errors: 7 } });
    expect(m.pendingRequests).toBe(12);
    expect(m.usagePercent).toBe(30);
  });

  it.each([
    ['m{a="x\\"y\\\\z\\nw"} 1', { a: 'x"y\\z\nw' }, 1],
    ["m 1.5e3 1700000000000", {}, 1500],
    ["m +Inf", {}, Number.POSITIVE_INFINITY],
    ["m -Inf", {}, Number.NEGATIVE_INFINITY],
    ['m{a="1",} 2', { a: "1" }, 2],
    ['m{a="1"} 3 # {trace_id="abc"} 1.0', { a: "1" }, 3],
    ["m\t4", {}, 4],
  ])("parses %s", (line, labels, value) => {
    expect(parsed(line).samples).toEqual([{ name: "m", labels, value }]);
  });

  it("parses NaN as NaN and leaves it out of the figures", () => {
    const p = parsed('http_requests{replica_id="a",status_code="200"} NaN');
    expect(Number.isNaN(p.samples[0]?.value)).toBe(true);
    expect(toEndpointMetrics(p).replicas).toEqual({});
  });

  it("stops at # EOF", () => {
    expect(parsed("a 1\n# EOF\nb 2").samples.map((s) => s.name)).toEqual(["a"]);
  });

  it.each([
    ["1abc 2", "metric name"],
    ['m{a="1" 2', "expected , or }"],
    ["m{a=1} 2", 'expected "'],
    ['m{a="1"}2', "space before the value"],
    ["m abc", "not a number"],
    ["m 1 2 3", "optional timestamp"],
    ['m{a="1",a="2"} 1', "duplicate label"],
    ['m{a="\\q"} 1', "bad escape"],
    ['m{a="open} 1', "unterminated"],
  ])("rejects %s with a message naming the problem", (line, message) => {
    const r = parseOpenMetrics(`ok 1\n${line}`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(new RegExp(`^line 2: .*${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  });
});
