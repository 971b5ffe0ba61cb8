// The one Prometheus text writer (exposition format 0.0.4) for GET /metrics: HELP and TYPE once per
// family, then its samples, label values and help escaped as the format says. Pure: families in,
// text out; the guard's families (handlers/http/metrics.ts) and the gateway's (src/gateway) use it.
// Spec: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
export type MetricType = "gauge" | "counter" | "histogram";
export type Labels = Record<string, string>;

export interface Sample {
  labels?: Labels;
  value: number;
  /** appended to the family's name: `_bucket`, `_sum`, `_count` for a histogram */
  suffix?: string;
}

export interface Family {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The text of `families`; a family without samples is left out (the format has no empty family). */
export function exposition(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels ?? {});
      const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
      lines.push(`${f.name}${s.suffix ?? ""}${l} ${formatValue(s.value)}`);
    }
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}
