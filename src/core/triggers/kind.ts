// The shape every trigger implements: from the tick's observations, history and policy, the alerts
// (and, for queue/latency, the scale-up action) it raises. Pure. A trigger emits its alert on every
// tick while its condition holds, with a dedup key stable for that condition: the event store keeps
// one per budget day, and the alert outbox can tell a condition that cleared.
import type { EndpointSettings, Policy } from "../../policy/index.ts";
import type { Forecast } from "../forecast.ts";
import type { EndpointHistory, FleetHistory, WindowStats } from "../history.ts";
import { EMPTY_WINDOW } from "../history.ts";
import type { MicroUsd } from "../money.ts";
import type { Alert, AlertKind, EndpointConfig, Level, Observation, PlannedAction, Severity } from "../types.ts";

export interface TriggerContext {
  policy: Policy;
  day: string;
  now: number;
  observations: readonly Observation[];
  settingsOf: (id: string) => EndpointSettings;
  configOf: (o: Observation) => EndpointConfig;
  history: FleetHistory;
  spendMicro: MicroUsd;
  budgetMicro: MicroUsd;
  ratio: number;
  level: Level;
  burnMicroPerHour: MicroUsd;
  forecast: Forecast | null;
  /** action keys already settled today */
  doneKeys: ReadonlySet<string>;
  /** when each endpoint's latest scale-up today was applied (cooldown); absent: none */
  lastScaleUpAt?: ReadonlyMap<string, number>;
  /** minReplica before each endpoint's first scale-up today */
  scaleUpFloor?: ReadonlyMap<string, { floor: number; pinned: number }>;
}

export interface TriggerResult {
  alerts: Alert[];
  actions: PlannedAction[];
}

export interface Trigger {
  /** the alert kind it raises (queue/latency raises scale_up or scale_up_held) */
  name: string;
  evaluate(ctx: TriggerContext): TriggerResult;
}

export const NONE: TriggerResult = { alerts: [], actions: [] };

export function alertOf(
  ctx: Pick<TriggerContext, "day">,
  kind: AlertKind,
  severity: Severity,
  endpoint: string | null,
  title: string,
  message: string,
  figures: Alert["figures"],
): Alert {
  return { kind, severity, endpoint, dedupKey: `${ctx.day}:${kind}:${endpoint ?? "fleet"}`, title, message, figures };
}

/** A trigger that judges each observed endpoint on its own: `check` returns its alert, or null. */
export function eachEndpoint(
  ctx: TriggerContext,
  enabled: boolean,
  check: (o: Observation, h: EndpointHistory | undefined) => Alert | null,
): TriggerResult {
  if (!enabled) return NONE;
  const alerts: Alert[] = [];
  for (const o of ctx.observations) {
    const a = check(o, ctx.history.endpoints.get(o.id));
    if (a) alerts.push(a);
  }
  return { alerts, actions: [] };
}

export const historyOf = (ctx: TriggerContext, id: string): EndpointHistory | undefined => ctx.history.endpoints.get(id);

export const windowOf = (h: EndpointHistory | undefined, minutes: number): WindowStats => h?.windows.get(minutes) ?? EMPTY_WINDOW;

/** Rounds for figures: people read them, machines filter on them. */
export const round = (n: number, digits = 2): number => Number(n.toFixed(digits));
