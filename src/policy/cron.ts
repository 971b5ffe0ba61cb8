// Cron expressions of predictive schedules: the policy speaks Unix cron (five fields, 0 or 7 =
// Sunday, as every crontab does); EventBridge Scheduler speaks its own six-field `cron(...)`
// (1 = Sunday, `?` in day-of-month or day-of-week, a year field). This module parses the one and
// writes the other; the policy validates crons with it. Fire times in a time zone are in
// schedule/fire-times.ts. Pure: no clock.

export interface CronSpec {
  /** the expression as written in the policy */
  source: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 = Sunday ... 6 = Saturday */
  daysOfWeek: ReadonlySet<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
  /** the same schedule as an EventBridge Scheduler expression, e.g. `cron(0 8 ? * MON-FRI *)` */
  aws: string;
}

export type CronResult = { ok: true; spec: CronSpec } | { ok: false; error: string };

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

const FIELDS: readonly FieldDef[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  // 7 is Sunday too, as in crontab(5); folded into 0 below.
  { name: "day of week", min: 0, max: 7, names: DAYS },
];

function value(token: string, f: FieldDef): number | string {
  const upper = token.toUpperCase();
  if (f.names) {
    const i = f.names.indexOf(upper as never);
    if (i >= 0) return f.name === "month" ? i + 1 : i;
  }
  if (!/^\d+$/.test(token)) return `${f.name}: "${token}" is not a number${f.names ? ` or a name (${f.names.join(", ")})` : ""}`;
  const n = Number(token);
  if (n < f.min || n > f.max) return `${f.name}: ${n} is outside ${f.min}-${f.max}`;
  return n;
}

/** Expands one field (`*`, `5`, `1-5`, `*\/15`, `0-30/10`, `1,3,5`, names) to its set of values. */
function expand(text: string, f: FieldDef): Set<number> | string {
  const out = new Set<number>();
  for (const item of text.split(",")) {
    const [range, stepText, extra] = item.split("/");
    if (extra !== undefined || range === undefined || range === "") return `${f.name}: cannot read "${item}"`;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) return `${f.name}: step "${stepText}" must be a positive whole number`;
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === "*") {
      lo = f.min;
      hi = f.name === "day of week" ? 6 : f.max;
    } else {
      const [a, b, more] = range.split("-");
      if (more !== undefined || a === undefined) return `${f.name}: cannot read "${range}"`;
      const va = value(a, f);
      if (typeof va === "string") return va;
      lo = va;
      if (b === undefined) hi = stepText === undefined ? va : f.name === "day of week" ? 6 : f.max;
      else {
        const vb = value(b, f);
        if (typeof vb === "string") return vb;
        if (vb < va) return `${f.name}: range "${range}" runs backwards`;
        hi = vb;
      }
    }
    for (let v = lo; v <= hi; v += step) out.add(f.name === "day of week" && v === 7 ? 0 : v);
  }
  return out;
}

/** Consecutive runs as `a-b`, the rest as a list: always valid Scheduler syntax. */
function compact(values: readonly number[], label: (v: number) => string): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && (values[j + 1] as number) === (values[j] as number) + 1) j++;
    const a = values[i] as number;
    const b = values[j] as number;
    parts.push(j - i >= 2 ? `${label(a)}-${label(b)}` : j === i ? label(a) : `${label(a)},${label(b)}`);
    i = j + 1;
  }
  return parts.join(",");
}

function awsField(text: string, set: ReadonlySet<number>, f: FieldDef): string {
  if (text === "*") return "*";
  const sorted = [...set].sort((a, b) => a - b);
  if (f.name === "day of week") return compact(sorted, (v) => DAYS[v] as string);
  return compact(sorted, String);
}

export function parseCron(source: string): CronResult {
  const text = source.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) {
    return { ok: false, error: `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}` };
  }
  const sets: Set<number>[] = [];
  for (const [i, f] of FIELDS.entries()) {
    const s = expand(parts[i] as string, f);
    if (typeof s === "string") return { ok: false, error: s };
    sets.push(s);
  }
  const [min, hour, dom, month, dow] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  const [minT, hourT, domT, monthT, dowT] = parts as [string, string, string, string, string];
  const domRestricted = domT !== "*";
  const dowRestricted = dowT !== "*";
  if (domRestricted && dowRestricted) {
    return {
      ok: false,
      error: "day of month and day of week are both set; EventBridge Scheduler accepts only one of them (use * for the other)",
    };
  }
  const [fMin, fHour, fDom, fMonth, fDow] = FIELDS as [FieldDef, FieldDef, FieldDef, FieldDef, FieldDef];
  const aws =
    `cron(${awsField(minT, min, fMin)} ${awsField(hourT, hour, fHour)} ` +
    `${dowRestricted ? "?" : awsField(domT, dom, fDom)} ${awsField(monthT, month, fMonth)} ` +
    `${dowRestricted ? awsField(dowT, dow, fDow) : "?"} *)`;
  return {
    ok: true,
    spec: { source: text, minutes: min, hours: hour, daysOfMonth: dom, months: month, daysOfWeek: dow, domRestricted, dowRestricted, aws },
  };
}
