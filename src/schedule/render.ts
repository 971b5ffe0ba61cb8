// How `npm run schedules` and the sync event show a plan and a result to a person.

import type { DesiredSchedule } from "./desired.ts";
import { nextFires } from "./fire-times.ts";
import type { SyncPlan, SyncResult } from "./sync.ts";

const fmt = (ms: number, tz: string) =>
  `${new Intl.DateTimeFormat("en-CA", {
    timeZone: tz,
    hourCycle: "h23",
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(ms))} ${tz} (${new Date(ms).toISOString().slice(0, 16)}Z)`;

function fires(d: DesiredSchedule, now: number): string {
  return nextFires(d.cron, d.timezone, now, 2)
    .map((t) => fmt(t, d.timezone))
    .join("; ");
}

const show = (v: unknown) => (typeof v === "string" ? (v.length > 80 ? `${v.slice(0, 77)}...` : v) : JSON.stringify(v));

export function renderPlan(plan: SyncPlan, now: number): string {
  const lines: string[] = [`schedule group ${plan.group}${plan.groupExists ? "" : " (missing: apply creates it)"}`];
  for (const d of plan.create) lines.push(`  + create ${d.name}: ${d.expression} ${d.timezone} -> ${d.endpoint}; next: ${fires(d, now)}`);
  for (const { desired: d, changes } of plan.update) {
    lines.push(`  ~ update ${d.name} in place:`);
    for (const c of changes) lines.push(`      ${c.field}: ${show(c.from)} -> ${show(c.to)}`);
  }
  for (const d of plan.unchanged) lines.push(`  = ${d.name}: in sync; next: ${fires(d, now)}`);
  for (const name of plan.prune) lines.push(`  - ${name}: not in the policy (prune deletes it)`);
  const n = plan.create.length + plan.update.length;
  lines.push(
    n + plan.prune.length === 0 && plan.groupExists
      ? "in sync: nothing to do"
      : `apply would create ${plan.create.length} and update ${plan.update.length}; prune would delete ${plan.prune.length}`,
  );
  return lines.join("\n");
}

export function renderResult(r: SyncResult): string {
  const parts = [
    r.createdGroup ? "created the group" : null,
    r.created.length ? `created ${r.created.join(", ")}` : null,
    r.updated.length ? `updated ${r.updated.join(", ")}` : null,
    r.deleted.length ? `deleted ${r.deleted.join(", ")}` : null,
    ...r.errors.map((e) => `${e.operation} ${e.schedule ?? ""} failed: ${e.code}: ${e.message}`),
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join("; ") : "nothing changed";
}
