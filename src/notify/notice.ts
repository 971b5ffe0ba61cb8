// One notice, the single shape every channel renders from: built from a timeline event (alert,
// recovery) or a rate-limit summary. Its JSON is also the SNS message body subscribers parse, so its
// field names are a public contract (README "Alerts: Slack and SNS").
import { formatUsd, LEVEL_NAMES, type Severity, usdToMicro } from "../core/index.ts";
import type { EventRow, NoticeType } from "../store/index.ts";

export interface NoticeAction {
  kind: string;
  endpoint: string | null;
  /** done | dry_run | failed */
  status: string;
  title: string;
}

export interface NoticeBody {
  source: "budget-guardrail";
  version: 1;
  notice: NoticeType;
  kind: string;
  severity: Severity;
  /** `namespace/name`, or null for the whole fleet */
  endpoint: string | null;
  title: string;
  message: string;
  budget_day: string | null;
  /** ISO 8601, the tick that raised it */
  at: string;
  event_id: number | null;
  dedup_key: string | null;
  /** the numbers behind it: spend_usd, budget_usd, ratio, forecast_usd, replicas, burn_usd_per_hour, level, ... */
  figures: Record<string, number | string | boolean | null>;
  /** what the guardrail did in the same tick (budget level alerts) */
  actions: NoticeAction[];
  /** for recoveries: the alert that cleared */
  resolves: { dedup_key: string; severity: Severity; since: string } | null;
  /** the status page (GET /) and this event in the timeline (GET /v1/events) */
  links: { status: string | null; event: string | null };
}

/** Kept in event data for recoveries, so the outbox can route them like the alert they resolve. */
export interface RecoveryData {
  notice: "recovery";
  resolves: { dedup_key: string; severity: Severity; since: string };
  active_minutes: number;
  /** the named budget the resolved condition was about, so SNS filter policies on `budget` get its recovery too */
  budget?: string;
}

const isRecovery = (data: Record<string, unknown>): boolean => data.notice === "recovery";

/** The severity that decides routing: a recovery goes where the alert it resolves went. */
export function routingSeverity(e: EventRow): Severity {
  if (isRecovery(e.data)) return (e.data as unknown as RecoveryData).resolves.severity;
  return e.severity ?? "info";
}

export function links(publicUrl: string | null, eventId: number | null): NoticeBody["links"] {
  if (!publicUrl) return { status: null, event: null };
  const base = publicUrl.replace(/\/+$/, "");
  // Newest first, so `before=id+1&limit=1` is exactly this event.
  return {
    status: `${base}/`,
    event: eventId === null ? `${base}/v1/events?type=alert` : `${base}/v1/events?before=${eventId + 1}&limit=1`,
  };
}

export function noticeFromEvent(e: EventRow, actions: readonly EventRow[], publicUrl: string | null): NoticeBody {
  const figures: NoticeBody["figures"] = {};
  for (const [k, v] of Object.entries(e.data)) {
    if (k === "notice") continue;
    if (v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean") figures[k] = v;
  }
  const recovery = isRecovery(e.data);
  return {
    source: "budget-guardrail",
    version: 1,
    notice: recovery ? "recovery" : "alert",
    kind: e.kind,
    severity: e.severity ?? "info",
    endpoint: e.endpoint,
    title: e.title,
    message: e.message,
    budget_day: /^(\d{4}-\d{2}-\d{2}):/.exec(e.dedupKey ?? "")?.[1] ?? null,
    at: new Date(e.at).toISOString(),
    event_id: e.id,
    dedup_key: e.dedupKey,
    figures,
    actions: actions.map((a) => ({
      kind: a.kind,
      endpoint: a.endpoint,
      status: typeof a.data.status === "string" ? a.data.status : "applied",
      title: a.title,
    })),
    resolves: recovery ? (e.data as unknown as RecoveryData).resolves : null,
    links: links(publicUrl, e.id),
  };
}

/** The named budget a notice is about (`figures.budget`), or null. */
export function budgetOf(b: Pick<NoticeBody, "figures">): string | null {
  const v = b.figures.budget;
  return typeof v === "string" && v !== "" ? v : null;
}

// --- shared formatting ---------------------------------------------------------------------------

const usd = (dollars: number) => formatUsd(usdToMicro(dollars));
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

const FIGURES: Record<string, { label: string; format: (v: number) => string }> = {
  spend_usd: { label: "Spend today", format: usd },
  budget_usd: { label: "Daily budget", format: usd },
  ratio: { label: "Spend / budget", format: pct },
  forecast_usd: { label: "Forecast (end of day)", format: usd },
  forecast_ratio: { label: "Forecast / budget", format: pct },
  burn_usd_per_hour: { label: "Burn", format: (v) => `${usd(v)}/h` },
  replicas: { label: "Replicas", format: (v) => String(v) },
  level: { label: "Level", format: (v) => (LEVEL_NAMES[v] ? `${v} (${LEVEL_NAMES[v]})` : String(v)) },
  threshold: { label: "Threshold", format: pct },
  // a named budget's figures (src/core/budget-alerts.ts)
  amount_usd: { label: "Amount", format: usd },
  today_usd: { label: "Spend today", format: usd },
  allowance_usd: { label: "Today's allowance", format: usd },
  pace_ratio: { label: "Today / allowance", format: pct },
  active_minutes: { label: "Active for", format: (v) => `${v} min` },
};

/**
 * The figures as [label, text] pairs, for Slack fields and email text: the budget first, then the known
 * ones in a fixed order, then the rest. A named month budget's `spend_usd` is month-to-date and its
 * `forecast_usd` is to the month's end.
 */
export function figureLines(figures: NoticeBody["figures"]): Array<[string, string]> {
  const first = "budget" in figures ? ["budget"] : [];
  const known = Object.keys(FIGURES).filter((k) => k in figures);
  const rest = Object.keys(figures).filter((k) => !(k in FIGURES) && k !== "budget");
  const monthToDate = budgetOf({ figures }) !== null && /^\d{4}-\d{2}$/.test(String(figures.period ?? ""));
  return [...first, ...known, ...rest].flatMap((k): Array<[string, string]> => {
    const v = figures[k];
    if (v === null || v === undefined) return [];
    const f = FIGURES[k];
    if (k === "spend_usd" && monthToDate && typeof v === "number") return [["Spend this month", usd(v)]];
    if (k === "forecast_usd" && monthToDate && typeof v === "number") return [["Forecast (end of month)", usd(v)]];
    if (f && typeof v === "number") return [[f.label, f.format(v)]];
    const label = k.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
    return [[label, typeof v === "number" && k.endsWith("_usd") ? usd(v) : String(v)]];
  });
}

export const SEVERITY_LABEL: Record<Severity, string> = { critical: "CRITICAL", warning: "WARNING", info: "INFO" };

/** A one-line label: RESOLVED / RATE LIMIT / the severity. */
export function headline(b: NoticeBody): string {
  return b.notice === "recovery" ? "RESOLVED" : b.notice === "summary" ? "HELD BACK" : SEVERITY_LABEL[b.severity];
}

// --- secrets ------------------------------------------------------------------------------------

const SECRET_PATTERNS: RegExp[] = [
  /hf_[A-Za-z0-9]{20,}/g, // Hugging Face tokens
  /https?:\/\/hooks\.slack(-gov)?\.com\/[^\s"'<>]+/g, // Slack webhook URLs (the path is the secret)
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack tokens
];

/** Replaces known secret values and secret-looking strings; used on every string that leaves in a message or error. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 6) out = out.split(s).join("[redacted]");
  for (const p of SECRET_PATTERNS) out = out.replace(p, "[redacted]");
  return out;
}

/** A deep copy with every string redacted. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === "string") return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)])) as T;
  }
  return value;
}
