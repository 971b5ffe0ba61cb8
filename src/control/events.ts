// Timeline entries for what people did: every override, early end and approval decision is an
// event (type "override") with its actor, so the timeline says who steered and why.

import type { Override } from "../core/index.ts";
import { formatUsd, usdToMicro } from "../core/index.ts";
import type { ApprovalRow, NewEvent } from "../store/index.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const target = (endpoint: string | null) => (endpoint === "*" || endpoint === null ? "every endpoint" : endpoint);

export function describeOverride(o: Override): string {
  switch (o.op) {
    case "suspend":
      return `automatic actions suspended on ${target(o.endpoint)} until ${iso(o.until)}`;
    case "raise_budget":
      return `${o.budget === null ? "budget" : `budget "${o.budget}"`} for ${o.day} raised to ${formatUsd(usdToMicro(o.budgetUsd))}${o.percent === null ? "" : ` (+${o.percent}%)`} until ${iso(o.until)}`;
    case "force":
      return `${o.action.replace("_", " ")} forced on ${target(o.endpoint)}; automatic actions held off it until ${iso(o.until)}`;
    case "ack":
      return `alert condition ${o.condition} silenced until ${iso(o.until)}`;
  }
}

/** The API's (and the events') view of an override. */
export function overrideJson(o: Override): Record<string, unknown> {
  const extra =
    o.op === "raise_budget"
      ? { budget_usd: o.budgetUsd, percent: o.percent, budget: o.budget ?? "fleet" }
      : o.op === "force"
        ? { action: o.action }
        : o.op === "ack"
          ? { condition: o.condition }
          : {};
  return {
    id: o.id,
    op: o.op,
    endpoint: o.endpoint,
    ...extra,
    reason: o.reason,
    actor: o.actor,
    source: o.source,
    day: o.day,
    created_at: iso(o.createdAt),
    until: iso(o.until),
    summary: describeOverride(o),
  };
}

export function overrideCreatedEvent(o: Override): NewEvent {
  return {
    at: o.createdAt,
    type: "override",
    kind: o.op,
    severity: "info",
    endpoint: o.endpoint,
    title: `${o.actor}: ${describeOverride(o)}`,
    message: o.reason,
    data: overrideJson(o),
    dedupKey: null,
  };
}

export function overridesEndedEvent(ended: readonly Override[], by: string, reason: string | undefined, now: number): NewEvent {
  const first = ended[0];
  return {
    at: now,
    type: "override",
    kind: "end",
    severity: "info",
    endpoint: ended.length === 1 && first ? first.endpoint : null,
    title: `${by} ended ${ended.map((o) => `${o.id} (${o.op} ${target(o.endpoint)})`).join(", ")} early`,
    message: reason ?? "ended early",
    data: { ids: ended.map((o) => o.id), by },
    dedupKey: null,
  };
}

export function decisionEvent(a: ApprovalRow, now: number): NewEvent {
  const verb = a.status === "approved" ? "approved" : "rejected";
  return {
    at: now,
    type: "override",
    kind: a.status === "approved" ? "approve" : "reject",
    severity: "info",
    endpoint: a.endpoint,
    title: `${a.decidedBy} ${verb} ${a.kind.replace("_", " ")} of ${a.endpoint}`,
    message: a.note ?? "",
    data: { key: a.key, status: a.status, by: a.decidedBy },
    dedupKey: null,
  };
}
