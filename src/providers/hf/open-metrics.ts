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

// Written for speed as well as the format: the tick reads up to 20 exports a minute within the
// Workers CPU limit, so sample lines are scanned by character code (no per-line regex, split or
// slice but the names and values kept), and numbers take a fast path (see parseValue).
const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58; // a-z A-Z _ :
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);
const isLabelStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95; // a-z A-Z _
const isLabelChar = (c: number) => isLabelStart(c) || (c >= 48 && c <= 57);
const isBlank = (c: number) => c === 32 || c === 9;
/** 0-9 . e E + -: the characters of a decimal number */
const isDecimalChar = (c: number) => (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;

function parseValue(text: string): number | undefined {
  // Fast path. A non-empty string of decimal characters is a number of the format exactly when
  // Number() reads it: for these characters Number's grammar (StrDecimalLiteral) is the regex below.
  let decimal = text.length > 0;
  for (let k = 0; decimal && k < text.length; k++) decimal = isDecimalChar(text.charCodeAt(k));
  if (decimal) {
    const v = Number(text);
    return Number.isNaN(v) ? undefined : v;
  }
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
    while (isBlank(line.charCodeAt(i))) i++;
    if (line.charCodeAt(i) === 125) return { labels, end: i + 1 }; // }
    const from = i;
    if (isLabelStart(line.charCodeAt(i))) while (isLabelChar(line.charCodeAt(++i)));
    if (i === from) return `bad label name at column ${i + 1}`;
    const name = line.slice(from, i);
    while (line.charCodeAt(i) === 32) i++;
    if (line.charCodeAt(i) !== 61) return `expected = after label ${name}`; // =
    i++;
    while (line.charCodeAt(i) === 32) i++;
    if (line.charCodeAt(i) !== 34) return `expected " to open the value of label ${name}`;
    i++;
    // Most values have no escape: one slice up to the closing quote.
    let close = i;
    while (close < line.length && line.charCodeAt(close) !== 34 && line.charCodeAt(close) !== 92) close++;
    let value = "";
    if (line.charCodeAt(close) === 34) {
      value = line.slice(i, close);
      i = close;
    } else {
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
    }
    i++;
    if (name in labels) return `duplicate label ${name}`;
    labels[name] = value;
    while (line.charCodeAt(i) === 32) i++;
    if (line.charCodeAt(i) === 44) {
      i++; // ,
      continue;
    }
    if (line.charCodeAt(i) === 125) return { labels, end: i + 1 };
    return `expected , or } after label ${name}`;
  }
}

/** One sample line: its sample, or what is wrong with it. */
function parseSample(line: string): MetricSample | string {
  let i = 0;
  if (!isNameStart(line.charCodeAt(0))) return "a sample must start with a metric name";
  while (isNameChar(line.charCodeAt(++i)));
  const name = line.slice(0, i);
  let labels: Record<string, string> = {};
  if (line.charCodeAt(i) === 123) {
    const parsed = parseLabels(line, i);
    if (typeof parsed === "string") return parsed;
    labels = parsed.labels;
    i = parsed.end;
  }
  // Value, optional timestamp, optional exemplar after " # ".
  const exemplar = line.indexOf(" # ", i);
  const rest = exemplar < 0 ? line.slice(i) : line.slice(i, exemplar);
  if (!isBlank(rest.charCodeAt(0))) return `expected a space before the value of ${name}`;
  const fields = rest.trim();
  // The fields are split at runs of spaces and tabs: a value and at most a timestamp.
  let gap = 0;
  while (gap < fields.length && !isBlank(fields.charCodeAt(gap))) gap++;
  const first = fields.slice(0, gap);
  let second: string | undefined;
  if (gap < fields.length) {
    let from = gap;
    while (isBlank(fields.charCodeAt(from))) from++;
    let to = from;
    while (to < fields.length && !isBlank(fields.charCodeAt(to))) to++;
    if (to < fields.length) return "expected a value and an optional timestamp";
    second = fields.slice(from);
  }
  const value = parseValue(first);
  if (value === undefined) return `"${first}" is not a number`;
  if (second !== undefined && parseValue(second) === undefined) return `timestamp "${second}" is not a number`;
  return { name, labels, value };
}

export function parseOpenMetrics(text: string): ParseResult {
  const samples: MetricSample[] = [];
  const types: Record<string, string> = {};
  // Lines end at \n or \r\n, as split(/\r?\n/) cuts them.
  for (let at = 0, n = 1; at <= text.length; n++) {
    const nl = text.indexOf("\n", at);
    const stop = nl < 0 ? text.length : nl;
    const line = text.slice(at, nl > at && text.charCodeAt(nl - 1) === 13 ? nl - 1 : stop);
    at = stop + 1;
    const c = line.charCodeAt(0);
    if (line.length === 0 || (!isNameStart(c) && c !== 35 && line.trim() === "")) continue;
    const where = `line ${n}`;
    if (c === 35) {
      const meta = line.includes("TYPE") ? /^#\s*(HELP|TYPE|UNIT)\s+(\S+)(?:\s+(.*))?$/.exec(line) : null;
      if (meta?.[1] === "TYPE") {
        const type = (meta[3] ?? "").trim().toLowerCase();
        if (!type) return { ok: false, error: `${where}: TYPE without a type` };
        types[meta[2] as string] = type;
      }
      if (line.includes("EOF") && /^#\s*EOF\s*$/.test(line)) break;
      continue; // HELP, UNIT and free comments carry nothing we use
    }
    const sample = parseSample(line);
    if (typeof sample === "string") return { ok: false, error: `${where}: ${sample}` };
    samples.push(sample);
  }
  return { ok: true, value: { samples, types } };
}

// The names are policy (metrics.names, src/policy/engine.ts): HF documents `http_requests`,
// `latency_distribution` and `cpu_usage_percent` only; the pending and accelerator names are ours
// (docs/metering.md, "Signals").

const finite = (v: number) => Number.isFinite(v);

/** The policy's names as sets, built once per names object (a parsed policy's, or the defaults). */
const sets = new WeakMap<MetricNames, Record<"REQUESTS" | "LATENCY" | "PENDING" | "ACCELERATOR_USAGE" | "CPU_USAGE", Set<string>>>();
function nameSets(names: MetricNames) {
  let known = sets.get(names);
  if (!known) {
    known = {
      REQUESTS: new Set(names.requests),
      LATENCY: new Set(names.latency),
      PENDING: new Set(names.pending),
      ACCELERATOR_USAGE: new Set(names.accelerator_usage),
      CPU_USAGE: new Set(names.cpu_usage),
    };
    sets.set(names, known);
  }
  return known;
}

/** The figures the engine uses, from a parsed export. Absent metrics are null, never zero; p95 is the worst replica's. */
export function toEndpointMetrics(parsed: ParsedMetrics, names: MetricNames = DEFAULT_METRIC_NAMES): EndpointMetrics {
  const { REQUESTS, LATENCY, PENDING, ACCELERATOR_USAGE, CPU_USAGE } = nameSets(names);
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
