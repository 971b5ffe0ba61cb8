// `npm run check [file] [--fleet listing.json]`: validates a policy (default guardrail.yaml) and explains
// every error with its path and the allowed values. Offline it also finds budgets another budget makes
// unreachable; with a fleet listing (saved `GET /v2/endpoint/{namespace}` answers, keyed by namespace)
// it finds scopes, endpoints and tags that match no endpoint. Exit 0 when valid, 1 when not.
import { readFileSync } from "node:fs";
import { type BudgetFinding, budgetFindings, type ListedEndpoint } from "../src/core/index.ts";
import { type BudgetSpec, budgetsOf, fallbackWarnings, parsePolicy } from "../src/policy/index.ts";
import { endpointListSchema } from "../src/providers/hf/index.ts";

const args = process.argv.slice(2);
const fleetAt = args.indexOf("--fleet");
const fleetFile = fleetAt >= 0 ? args[fleetAt + 1] : undefined;
const file = args.find((a, i) => !a.startsWith("--") && (fleetAt < 0 || i !== fleetAt + 1)) ?? "guardrail.yaml";

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    console.error(`${path}: cannot read (${err instanceof Error ? err.message : String(err)})`);
    process.exit(1);
  }
}

function fail(count: number, lines: Array<{ path: string; message: string; allowed?: string[] | undefined }>): never {
  console.error(`${file}: ${count} error${count === 1 ? "" : "s"}`);
  for (const i of lines) console.error(`  ${i.path}: ${i.message}${i.allowed ? `\n    allowed values: ${i.allowed.join(", ")}` : ""}`);
  process.exit(1);
}

/** `{ "<namespace>": <GET /v2/endpoint/{namespace} answer>, ... }` as the endpoints check may compare scopes with. */
function readFleet(path: string): ListedEndpoint[] {
  let json: unknown;
  try {
    json = JSON.parse(read(path));
  } catch (err) {
    console.error(`${path}: not JSON (${err instanceof Error ? err.message : String(err)})`);
    process.exit(1);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    console.error(`${path}: expected an object keyed by namespace, each value an HF list answer { "items": [...] }`);
    process.exit(1);
  }
  const out: ListedEndpoint[] = [];
  for (const [namespace, page] of Object.entries(json)) {
    const parsed = endpointListSchema.safeParse(page);
    if (!parsed.success) {
      console.error(`${path}: ["${namespace}"] is not an HF endpoint list: ${parsed.error.issues[0]?.message ?? "invalid"}`);
      process.exit(1);
    }
    for (const e of parsed.data.items) out.push({ namespace, id: `${namespace}/${e.name}`, tags: e.tags ?? [] });
  }
  return out;
}

function describeBudget(b: BudgetSpec): string {
  const s = b.scope;
  const scope = s.all
    ? "every endpoint and service"
    : [
        s.namespaces.length ? `namespaces ${s.namespaces.join(", ")}` : "",
        s.endpoints.length ? `endpoints ${s.endpoints.join(", ")}` : "",
        s.tags.length ? `tags ${s.tags.join(", ")}` : "",
        s.services.length ? `services ${s.services.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join("; ");
  const pacing = b.pacing ? `, ${b.pacing} pacing${b.rollover ? " with rollover" : ""}` : "";
  return `  budget "${b.name}": $${b.amountUsd}/${b.period} (${b.timezone}${pacing}); thresholds ${b.thresholds.scale_down} / ${b.thresholds.reroute} / ${b.thresholds.shutdown}; ${scope}`;
}

const res = parsePolicy(read(file));
if (!res.ok) fail(res.issues.length, res.issues);
const p = res.policy;
const budgets = budgetsOf(p);
const fleet = fleetFile ? readFleet(fleetFile) : undefined;
const findings: BudgetFinding[] = budgetFindings(budgets, fleet);
if (findings.length > 0) fail(findings.length, findings);
const endpoints = Object.keys(p.endpoints).filter((k) => k !== "defaults");
console.log(
  `${file}: valid. mode ${p.mode}; budget $${p.budget.daily_usd}/day (${p.budget.timezone}); thresholds ` +
    `${p.thresholds.scale_down} / ${p.thresholds.reroute} / ${p.thresholds.shutdown}; namespaces ${p.hf.namespaces.join(", ")}; ` +
    `${endpoints.length} endpoint entr${endpoints.length === 1 ? "y" : "ies"}; ` +
    `${Object.keys(p.services).length} gateway service${Object.keys(p.services).length === 1 ? "" : "s"}.`,
);
for (const w of fallbackWarnings(p)) console.warn(`  warning: ${w.path}: ${w.message}`);
if (budgets.length > 1) {
  console.log(`${budgets.length} budgets:`);
  for (const b of budgets) console.log(describeBudget(b));
  if (!fleet && budgets.some((b) => b.scope.tags.length + b.scope.endpoints.length + b.scope.namespaces.length > 0)) {
    console.log(
      "  scopes and tags were checked against the policy only (namespaces in hf.namespaces, services in services); " +
        "pass --fleet <listing.json> to check them against real endpoints",
    );
  }
}
process.exit(0);
