// The status page's content (<main>), rendered from the same status as GET /v1/status: the level
// and ratio in large type, the spend chart, the endpoints and the latest events. The refresh
// script fetches exactly this fragment again.
import { budgetDay, formatUsd, usdToMicro } from "../../../src/core/index.ts";
import type { ActingStatusJson, BudgetJson, Status } from "../../../src/status/index.ts";
import type { EventRow, SpendPoint } from "../../../src/store/index.ts";
import { SpendChart } from "./chart.tsx";
import type { ChartInput } from "./chart-geometry.ts";
import { age, clockTime, localTimes, percent, usd, words } from "./format.ts";

/** A tick older than this means the cron is not running (or every tick fails before it records). */
const STALE_MS = 3 * 60_000;

export interface StatusPageData {
  status: Status;
  series: SpendPoint[];
  events: EventRow[];
  /** the budget day's bounds and its end-of-day projection, when the policy is valid */
  day: { start: number; end: number; forecastMicro: number | null } | null;
  now: number;
  /** whether a sign-out button makes sense (the page is not public) */
  signedIn: boolean;
}

export function StatusMain(props: StatusPageData) {
  const { json } = props.status;
  const tz = "budget" in json ? json.budget.timezone : "UTC";
  return (
    <main data-rendered-at={props.now}>
      <header class="top">
        <h1>budget-guardrail</h1>
        <span class="muted small">
          {"budget" in json ? `budget day ${json.budget.day} (${tz}) · ` : ""}updated {clockTime(props.now, tz, true)}
        </span>
      </header>
      <Problems json={json} />
      <Warnings json={json} />
      {"budget" in json && props.day ? <Acting {...props} json={json} day={props.day} tz={tz} /> : <LastTick {...props} tz={tz} />}
      <Events events={props.events} tz={tz} day={"budget" in json ? json.budget.day : budgetDay(props.now, tz)} />
      {props.signedIn && (
        <form method="post" action="/logout" class="small">
          <button class="link" type="submit">
            sign out
          </button>
        </form>
      )}
    </main>
  );
}

function Problems({ json }: { json: Status["json"] }) {
  const issues = [...json.policy.issues, ...json.problems];
  if (issues.length === 0) return null;
  return (
    <section data-section="problems">
      <h2>
        {json.policy.valid ? "The guardrail is not acting: configuration problems" : "The guardrail is not acting: the policy is invalid"}
      </h2>
      <ul class="problems">
        {issues.map((i) => (
          <li>
            <code>{i.path}</code>: {i.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Problems that do not stop the guardrail but make it do less than the policy seems to say. */
function Warnings({ json }: { json: Status["json"] }) {
  if (json.warnings.length === 0) return null;
  return (
    <section data-section="warnings">
      <h2>Warnings</h2>
      <ul class="problems">
        {json.warnings.map((i) => (
          <li>
            <code>{i.path}</code>: {i.message}
          </li>
        ))}
      </ul>
    </section>
  );
}

function LastTick(props: { status: Status; now: number; tz: string }) {
  const t = props.status.json.last_tick;
  return (
    <section>
      <span class="muted">last tick </span>
      <span data-figure="last-tick">
        {t ? `${clockTime(Date.parse(t.at), props.tz, true)} (${age(Date.parse(t.at), props.now)})` : "never"}
      </span>
    </section>
  );
}

function Acting(props: StatusPageData & { json: ActingStatusJson; day: NonNullable<StatusPageData["day"]>; tz: string }) {
  const { json, tz, now } = props;
  const b = json.budget;
  const t = json.last_tick;
  const lastAt = t ? Date.parse(t.at) : null;
  const flags: Array<{ text: string; tone: "ok" | "warn" | "bad"; name: string }> = [];
  flags.push(
    json.mode === "dry_run"
      ? { text: "dry run: records, changes nothing", tone: "warn", name: "dry_run" }
      : { text: "enforcing", tone: "ok", name: "enforce" },
  );
  if (!json.acting) flags.push({ text: "not acting", tone: "bad", name: "not_acting" });
  // Suspensions are overrides a person set (suspend ns/name or *): automatic actions stop, alerts go on.
  const suspended = json.overrides.filter((o) => o.op === "suspend");
  for (const o of suspended) {
    const what = o.endpoint === "*" ? "all endpoints" : String(o.endpoint);
    flags.push({ text: `suspended: ${what} until ${clockTime(Date.parse(String(o.until)), tz)}`, tone: "warn", name: "suspended" });
  }
  if (json.guard.blind.blind || t?.outcome === "blind") flags.push({ text: "blind: cannot see the fleet", tone: "bad", name: "blind" });
  else if (t && t.outcome !== "ok") flags.push({ text: `last tick: ${words(t.outcome)}`, tone: "warn", name: t.outcome });
  // Metering's uncertainty (docs/metering.md): stale prices, spend resting on observation gaps, unpriced replicas.
  const m = json.guard.metering;
  for (const p of m.prices.filter((x) => x.stale && lastAt !== null))
    flags.push({
      text: `prices stale: ${p.namespace} ${p.fetched_at === null ? "never priced" : `catalog from ${clockTime(Date.parse(p.fetched_at), tz)}`}`,
      tone: "warn",
      name: "prices_stale",
    });
  if (m.estimated_gap_usd > 0)
    flags.push({ text: `${usd(m.estimated_gap_usd)} estimated across observation gaps`, tone: "warn", name: "estimated" });
  for (const x of m.replica_starts_last_hour.filter((r) => r.replica_starts > 0))
    flags.push({
      text: `${x.endpoint}: ${x.replica_starts} replica starts last hour (${x.wakes} from zero), ${x.initializing_minutes_per_hour} initializing min/h${x.initializing_usd_per_hour === null ? "" : ` = ${usd(x.initializing_usd_per_hour)}/h`}`,
      // Over the cold_starts trigger's limit (the policy's, per hour), as its alert judges.
      tone: m.replica_starts_max_per_hour !== null && x.replica_starts > m.replica_starts_max_per_hour ? "warn" : "ok",
      name: "replica_starts",
    });
  if (m.unpriced_replica_hours > 0)
    flags.push({ text: `${m.unpriced_replica_hours} replica-hours unpriced`, tone: "bad", name: "unpriced" });
  // A channel that answered a permanent failure gets nothing until its configuration changes (docs/metering.md, delivery).
  for (const [channel, label] of [
    ["slack", "Slack"],
    ["sns", "SNS"],
  ] as const) {
    const fault = json.alerts.channels[channel].misconfigured;
    if (fault)
      flags.push({
        text: `${label} alerts not delivered since ${clockTime(Date.parse(fault.since), tz)}: ${fault.error}`,
        tone: "bad",
        name: `${channel}_misconfigured`,
      });
  }
  if (lastAt === null) flags.push({ text: "no tick yet", tone: "warn", name: "no_tick" });
  else if (now - lastAt > STALE_MS) flags.push({ text: `no tick for ${age(lastAt, now).replace(" ago", "")}`, tone: "bad", name: "stale" });

  const chart: ChartInput = {
    start: props.day.start,
    end: props.day.end,
    now,
    budgetMicro: usdToMicro(b.daily_usd),
    thresholds: b.thresholds,
    series: props.series,
    forecast:
      props.day.forecastMicro === null || props.series.length === 0
        ? null
        : {
            from: props.series.at(-1)?.at ?? now,
            fromMicro: props.series.at(-1)?.spendMicro ?? 0,
            toMicro: props.day.forecastMicro,
          },
    actions: props.status.actions.map((a) => ({ at: a.created_at, kind: a.kind, endpoint: a.endpoint, status: a.status })),
  };
  return (
    <>
      <div class="overview">
        <section class="glance" data-section="glance">
          <div class="headline">
            <div>
              <div class={`big level-${b.level_name}`} data-figure="level">
                {words(b.level_name)}
              </div>
              <div class="muted small">level reached today</div>
            </div>
            <div>
              <div class={`big level-${b.level_name}`} data-figure="ratio">
                {percent(b.ratio)}
              </div>
              <div class="muted small">of the daily budget</div>
            </div>
          </div>
          <dl class="figures">
            <div>
              <dt>spent today</dt>
              <dd>
                <span data-figure="spend">{usd(b.spend_usd)}</span>
                {/* The bounds are the metered endpoints'; the gateway's token-priced spend is exact and adds to both. */}
                <span class="muted small" data-figure="spend-bounds">
                  {` (${usd(json.guard.metering.low_usd + b.sources.gateway_usd)}–${usd(json.guard.metering.high_usd + b.sources.gateway_usd)})`}
                </span>
                {json.guard.metering.standard_error_usd > 0 ? (
                  <span class="muted small" data-figure="spend-standard-error" title="the estimate's standard error">
                    {` ± ${usd(json.guard.metering.standard_error_usd)}`}
                  </span>
                ) : null}
                <span class="muted small">
                  {" of "}
                  <span data-figure="budget">{usd(b.daily_usd)}</span>
                </span>
                <div class="muted small" data-figure="spend-sources">
                  {`endpoints ${usd(b.sources.endpoints_usd)} · gateway ${usd(b.sources.gateway_usd)}`}
                  {b.sources.gateway_unpriced_answers > 0 ? ` + ${b.sources.gateway_unpriced_answers} unpriced answers` : ""}
                </div>
              </dd>
            </div>
            <div>
              <dt>burning now</dt>
              <dd>
                <span data-figure="burn">{usd(b.burn_usd_per_hour)}</span>
                <span class="muted small"> per hour</span>
              </dd>
            </div>
            <div>
              <dt>forecast, end of day</dt>
              <dd data-figure="forecast">{props.day.forecastMicro === null ? "–" : formatUsd(props.day.forecastMicro)}</dd>
            </div>
            <div>
              <dt>last tick</dt>
              <dd data-figure="last-tick">
                {lastAt === null ? "never" : clockTime(lastAt, tz, true)}
                {lastAt !== null && <span class="muted small">{` ${age(lastAt, now)}`}</span>}
              </dd>
            </div>
          </dl>
          <div class="flags" data-section="flags">
            {flags.map((f) => (
              <span class={`flag ${f.tone}`} data-flag={f.name}>
                {f.text}
              </span>
            ))}
          </div>
        </section>
        <section data-section="chart">
          <h2>Spend today</h2>
          <SpendChart input={chart} tz={tz} />
          <div class="legend">
            <span>
              <i />
              spend
            </span>
            <span>
              <i class="f" />
              forecast at the current burn
            </span>
            <span>
              <i class="m" />
              action
            </span>
            <span>lines: budget and the ladder</span>
          </div>
        </section>
      </div>
      <Budgets json={json} />
      <Endpoints json={json} />
      <Billing json={json} now={now} tz={tz} />
    </>
  );
}

/** One card per budget when the policy names budgets (`budgets:`); the fleet's is the glance above. */
function Budgets({ json }: { json: ActingStatusJson }) {
  if (json.budgets.length < 2) return null;
  return (
    <section data-section="budgets">
      <h2>Budgets</h2>
      <div class="budgets">
        {json.budgets.map((b) => (
          <BudgetCard b={b} />
        ))}
      </div>
    </section>
  );
}

const BAR_LEVELS = ["scale_down", "reroute", "shutdown"] as const;

function BudgetCard({ b }: { b: BudgetJson }) {
  // The bar runs to a little past the shutdown threshold; spend beyond it is clipped (the % says how far).
  const top = b.thresholds.shutdown * 1.1;
  const x = (r: number) => Math.min(100, Math.max(0, (r / top) * 100)).toFixed(2);
  const members = b.members.length + b.services.length;
  return (
    <div class="budget" data-budget={b.name}>
      <div class="budget-head">
        <strong>{b.name}</strong>
        <span class="muted small">{` ${b.period === "month" ? "month" : "day"} ${b.period_key}`}</span>
        <span class={`level-${b.level_name} budget-level`} data-figure="budget-level">
          {words(b.level_name)}
        </span>
      </div>
      <div class="budget-line">
        <span class={`level-${b.level_name} budget-ratio`} data-figure="budget-ratio">
          {percent(b.ratio)}
        </span>
        <span>
          <span data-figure="budget-spend">{usd(b.spend_usd)}</span>
          {" of "}
          <span data-figure="budget-amount">{usd(b.amount_usd)}</span>
          <span class="muted small">{b.period === "month" ? " this month" : " today"}</span>
        </span>
      </div>
      <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label={`${percent(b.ratio)} of the budget`}>
        <rect class="bar-bg" x="0" y="0" width="100" height="10" />
        <rect class={`bar-fill level-${b.level_name}`} x="0" y="1" width={x(b.ratio)} height="8" />
        <line class="bar-tick budget" x1={x(1)} x2={x(1)} y1="0" y2="10" />
        {BAR_LEVELS.map((l) => (
          <line class={`bar-tick ${l}`} x1={x(b.thresholds[l])} x2={x(b.thresholds[l])} y1="0" y2="10" />
        ))}
      </svg>
      <dl class="budget-figures small">
        {b.allowance && (
          <div>
            <dt>today vs today's allowance</dt>
            <dd data-figure="budget-pace">
              {`${usd(b.spend_today_usd)} of ${usd(b.allowance.usd)} (${b.pace_ratio === null ? "over, nothing left" : percent(b.pace_ratio)})`}
              <div class="muted">{b.allowance.explain}</div>
            </dd>
          </div>
        )}
        <div>
          <dt>{`forecast, end of ${b.period}`}</dt>
          <dd data-figure="budget-forecast">{b.forecast ? `${usd(b.forecast.end_usd)} (${percent(b.forecast.ratio)})` : "–"}</dd>
        </div>
        <div>
          <dt>members</dt>
          <dd data-figure="budget-members" title={[...b.members, ...b.services.map((x) => `service ${x}`)].join(", ")}>
            {`${b.members.length} endpoint${b.members.length === 1 ? "" : "s"}`}
            {b.services.length > 0 ? `, ${b.services.length} service${b.services.length === 1 ? "" : "s"}` : ""}
            {members === 0 ? " (none yet)" : ""}
          </dd>
        </div>
      </dl>
    </div>
  );
}

function Endpoints({ json }: { json: ActingStatusJson }) {
  return (
    <section data-section="endpoints">
      <h2>Endpoints</h2>
      {json.endpoints.length === 0 ? (
        <p class="muted">No endpoint observed yet.</p>
      ) : (
        <table class="endpoints">
          <thead>
            <tr>
              <th>endpoint</th>
              <th>state</th>
              <th>replicas ready / target / max</th>
              <th>price per hour</th>
              <th>spend today</th>
              <th>critical</th>
              <th>routing</th>
              <th>last action</th>
            </tr>
          </thead>
          <tbody>
            {json.endpoints.map((e) => (
              <tr data-endpoint={e.id}>
                <td class="name" data-label="endpoint">
                  {e.id}
                </td>
                <td data-label="state" data-col="state">
                  {e.state}
                </td>
                <td class="num" data-label="replicas" data-col="replicas">
                  {`${e.replicas.ready} / ${e.replicas.target} / ${e.replicas.max}`}
                </td>
                <td class="num" data-label="price per hour" data-col="price">
                  {e.price_usd_per_hour === null ? "unknown" : usd(e.price_usd_per_hour)}
                </td>
                <td class="num" data-label="spend today" data-col="spend">
                  {usd(e.spend_today_usd)}
                </td>
                <td data-label="critical" data-col="critical">
                  {e.critical ? "critical" : "no"}
                </td>
                <td data-label="routing" data-col="route">
                  {e.route === "primary" ? "primary" : `${e.route} → ${e.fallback ?? "?"}`}
                </td>
                <td data-label="last action" data-col="last-action">
                  {e.last_action ? (
                    <span title={e.last_action.reason}>
                      {`${words(e.last_action.kind)} (${words(e.last_action.status)})`}
                      <br />
                      <span class="muted small">{e.last_action.reason}</span>
                    </span>
                  ) : (
                    "–"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Metered against HF's billing usage over the billing period, per namespace (docs/metering.md). */
function Billing({ json, now, tz }: { json: ActingStatusJson; now: number; tz: string }) {
  const b = json.billing;
  if (b.namespaces.length === 0) return null;
  const day = (iso: string) => iso.slice(0, 10);
  return (
    <section data-section="billing">
      <h2>Billing reconciliation</h2>
      <table class="endpoints">
        <thead>
          <tr>
            <th>namespace</th>
            <th>period</th>
            <th>billed by HF</th>
            <th>metered</th>
            <th>drift</th>
            <th>read</th>
          </tr>
        </thead>
        <tbody>
          {b.namespaces.map((n) => (
            <tr data-billing={n.namespace} data-state={n.state}>
              <td class="name" data-label="namespace">
                {n.namespace}
                <span class="muted small">{` (${n.kind})`}</span>
              </td>
              <td data-label="period" data-col="period">
                {n.period ? `${day(n.period.start)} to ${day(n.period.end)}` : "–"}
                {n.period && !n.period.aligned && (
                  <div class="muted small">{`from budget day ${n.period.metered_from_day}, counted whole`}</div>
                )}
              </td>
              <td class="num" data-label="billed by HF" data-col="billed">
                {n.billed_usd === null ? "–" : usd(n.billed_usd)}
              </td>
              <td class="num" data-label="metered" data-col="metered">
                {n.metered_usd === null ? "–" : usd(n.metered_usd)}
              </td>
              <td class="num" data-label="drift" data-col="drift">
                {n.drift_usd === null ? "–" : `${n.drift_usd >= 0 ? "+" : "−"}${usd(Math.abs(n.drift_usd))}`}
                {n.drift_pct !== null && <span class="muted small">{` (${n.drift_pct >= 0 ? "+" : ""}${n.drift_pct.toFixed(1)} %)`}</span>}
              </td>
              <td data-label="read" data-col="read">
                {n.error ? (
                  <span class="flag bad" data-flag="billing_error">
                    {n.error.code === "unauthorized" ? `token may not read billing (HTTP ${n.error.status ?? "?"})` : words(n.error.code)}
                  </span>
                ) : n.fetched_at === null ? (
                  "not read yet"
                ) : (
                  <span
                    class={n.stale ? "flag warn" : ""}
                  >{`${clockTime(Date.parse(n.fetched_at), tz)} ${age(Date.parse(n.fetched_at), now)}`}</span>
                )}
                {n.error && n.fetched_at !== null && <div class="muted small">{`figures from ${age(Date.parse(n.fetched_at), now)}`}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">{`Metered minus billed, over the period's budget days up to the read; ${b.per_endpoint}.`}</p>
    </section>
  );
}

function Events({ events, tz, day }: { events: EventRow[]; tz: string; day: string }) {
  return (
    <section data-section="events">
      <h2>Latest events</h2>
      {events.length === 0 ? (
        <p class="muted">Nothing has happened yet.</p>
      ) : (
        <ul class="events">
          {events.map((e) => {
            const status = typeof e.data.status === "string" ? e.data.status : null;
            const label = e.type === "action" ? `action${status ? ` · ${words(status)}` : ""}` : (e.severity ?? e.type);
            return (
              <li data-event={e.id} data-type={e.type}>
                <span class="muted small">{clockTime(e.at, tz)} </span>
                <span class={`sev sev-${e.type === "action" ? "action" : (e.severity ?? "info")}`}>{label}</span>
                <strong>{localTimes(e.title, tz, day)}</strong>
                <div class="small muted">{localTimes(e.message, tz, day)}</div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
