// The endpoint's open-metrics export (reference §3.1): a small parser for the Prometheus /
// OpenMetrics text format, and the mapping from HF's metric names to the figures the engine uses.
//
// Why our own parser: the npm parsers for this format are unmaintained (parse-prometheus-text-format
// has had no release since 2019 and ships no types) and we need only the text format's sample lines,
// which fit in a page. It follows the exposition format: `# HELP|TYPE|UNIT` metadata, `# EOF`,
// `name{label="value",...} value [timestamp]`, escapes `\\ \" \n` in label values, NaN and ±Inf,
// OpenMetrics exemplars (` # {...} v`) ignored. A line that breaks the format fails the whole parse,
// as Prometheus does, so a garbled answer is never half-read.
import { DEFAULT_METRIC_NAMES, type MetricNames } from "../../policy/index.ts";
import type { EndpointMetrics } from "../types.ts";

export { DEFAULT_METRIC_NAMES };

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedMetrics {
  samples: MetricSample[];
  /** family name -> declared type (counter, gauge, summary, histogram, ...) */
  types: Record<string, string>;
}

export type ParseResult = { ok: true; value: ParsedMetrics } | { ok: false; error: string };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string): number | undefined {
  const t = text.trim();
  if (/^[+]?inf$/i.test(t)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(t)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(t)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && !/^[+-]?0x[0-9a-fA-F]+$/.test(t)) return undefined;
  return Number(t);
}

/** Parses `{a="1",b="x\"y"}` starting at `i` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | string {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === " " || line[i] === "\t") i++;
    if (line[i] === "}") return { labels, end: i + 1 };
    const name = LABEL_NAME.exec(line.slice(i))?.[0];
    if (!name) return `bad label name at column ${i + 1}`;
    i += name.length;
    while (line[i] === " ") i++;
    if (line[i] !== "=") return `expected = after label ${name}`;
    i++;
    while (line[i] === " ") i++;
    if (line[i] !== '"') return `expected " to open the value of label ${name}`;
    i++;
    let value = "";
    for (;;) {
      const c = line[i];
      if (c === undefined) return `unterminated value of label ${name}`;
      if (c === '"') break;
      if (c === "\\") {
        const next = line[i + 1];
        if (next === "n") value += "\n";
        else if (next === "\\" || next === '"') value += next;
        else return `bad escape \\${next ?? ""} in label ${name}`;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++;
    if (name in labels) return `duplicate label ${name}`;
    labels[name] = value;
    while (line[i] === " ") i++;
    if (line[i] === ",") {
      i++;
      continue;
    }
    if (line[i] === "}") return { labels, end: i + 1 };
    return `expected , or } after label ${name}`;
  }
}

export function parseOpenMetrics(text: string): ParseResult {
  const samples: MetricSample[] = [];
  const types: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] ?? "";
    const where = `line ${n + 1}`;
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const meta = /^#\s*(HELP|TYPE|UNIT)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (meta?.[1] === "TYPE") {
        const type = (meta[3] ?? "").trim().toLowerCase();
        if (!type) return { ok: false, error: `${where}: TYPE without a type` };
        types[meta[2] as string] = type;
      }
      if (/^#\s*EOF\s*$/.test(line)) break;
      continue; // HELP, UNIT and free comments carry nothing we use
    }
    const name = NAME.exec(line)?.[0];
    if (!name) return { ok: false, error: `${where}: a sample must start with a metric name` };
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === "{") {
      const parsed = parseLabels(line, i);
      if (typeof parsed === "string") return { ok: false, error: `${where}: ${parsed}` };
      labels = parsed.labels;
      i = parsed.end;
    }
    // Value, optional timestamp, optional exemplar after " # ".
    const rest = line.slice(i).split(" # ")[0] ?? "";
    if (!/^[ \t]/.test(rest)) return { ok: false, error: `${where}: expected a space before the value of ${name}` };
    const fields = rest.trim().split(/[ \t]+/);
    if (fields.length < 1 || fields.length > 2) return { ok: false, error: `${where}: expected a value and an optional timestamp` };
    const value = parseValue(fields[0] ?? "");
    if (value === undefined) return { ok: false, error: `${where}: "${fields[0]}" is not a number` };
    if (fields[1] !== undefined && parseValue(fields[1]) === undefined) {
      return { ok: false, error: `${where}: timestamp "${fields[1]}" is not a number` };
    }
    samples.push({ name, labels, value });
  }
  return { ok: true, value: { samples, types } };
}

// The names are policy (metrics.names, src/policy/engine.ts): HF documents `http_requests`,
// `latency_distribution` and `cpu_usage_percent` only; the pending and accelerator names are ours
// (docs/metering.md, "Signals").

const finite = (v: number) => Number.isFinite(v);

/** The figures the engine uses, from a parsed export. Absent metrics are null, never zero; p95 is the worst replica's. */
export function toEndpointMetrics(parsed: ParsedMetrics, names: MetricNames = DEFAULT_METRIC_NAMES): EndpointMetrics {
  const REQUESTS = new Set(names.requests);
  const LATENCY = new Set(names.latency);
  const PENDING = new Set(names.pending);
  const ACCELERATOR_USAGE = new Set(names.accelerator_usage);
  const CPU_USAGE = new Set(names.cpu_usage);
  const replicas: EndpointMetrics["replicas"] = {};
  let p95: number | null = null;
  let pending: number | null = null;
  // Usage gauges come one per replica: the endpoint's usage is their mean.
  const accel = { sum: 0, n: 0 };
  const cpu = { sum: 0, n: 0 };
  const max = (a: number | null, b: number) => (a === null ? b : Math.max(a, b));
  for (const s of parsed.samples) {
    if (!finite(s.value)) continue;
    if (REQUESTS.has(s.name)) {
      const replica = s.labels.replica_id ?? "";
      const r = replicas[replica] ?? { requests: 0, errors: 0 };
      replicas[replica] = r;
      r.requests += s.value;
      const code = Number(s.labels.status_code ?? s.labels.code ?? "0");
      if (code >= 500) r.errors += s.value;
    } else if (LATENCY.has(s.name) && s.labels.quantile !== undefined && Number(s.labels.quantile) === 0.95) {
      p95 = max(p95, s.value * 1000); // seconds in the export
    } else if (PENDING.has(s.name)) {
      pending = (pending ?? 0) + s.value; // one gauge per replica: the endpoint's queue is their sum
    } else if (ACCELERATOR_USAGE.has(s.name)) {
      accel.sum += s.value;
      accel.n++;
    } else if (CPU_USAGE.has(s.name)) {
      cpu.sum += s.value;
      cpu.n++;
    }
  }
  const acceleratorUsagePercent = accel.n > 0 ? accel.sum / accel.n : null;
  const cpuUsagePercent = cpu.n > 0 ? cpu.sum / cpu.n : null;
  return {
    replicas,
    p95LatencyMs: p95,
    pendingRequests: pending,
    usagePercent: acceleratorUsagePercent ?? cpuUsagePercent,
    cpuUsagePercent,
    acceleratorUsagePercent,
  };
}
