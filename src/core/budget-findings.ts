// What `npm run check` can tell about budgets beyond the schema: a budget another one makes unreachable,
// and, given a fleet listing, scopes, endpoints and tags that match nothing. Pure; membership is the
// same `inScope` the tick uses, so check and tick never disagree on who belongs to a budget.
import type { BudgetScope, BudgetSpec } from "../policy/index.ts";
import { type BudgetMember, inScope } from "./budgets.ts";

export interface BudgetFinding {
  /** path into guardrail.yaml, e.g. `budgets[1].scope.tags[0]` */
  path: string;
  message: string;
}

/** An endpoint of the fleet listing check is given: its namespace, id and tags. */
export interface ListedEndpoint extends BudgetMember {
  namespace: string;
}

const LEVELS = ["scale_down", "reroute", "shutdown"] as const;

/** True when every endpoint and service `inner` selects is selected by `outer`, whatever the fleet (read from the scopes alone). */
export function scopeCovers(outer: BudgetScope, inner: BudgetScope): boolean {
  if (outer.all) return true;
  if (inner.all) return false;
  const ns = new Set(outer.namespaces);
  return (
    inner.namespaces.every((n) => ns.has(n)) &&
    inner.endpoints.every((id) => outer.endpoints.includes(id) || ns.has(id.slice(0, id.indexOf("/")))) &&
    inner.tags.every((t) => outer.tags.includes(t)) &&
    inner.services.every((s) => outer.services.includes(s))
  );
}

/**
 * `outer` reaches every level no later than `inner`: same period, it pays for everything `inner` pays
 * for, its amount is no larger, each threshold no higher, and (months) the same pacing. Then a member
 * of `inner` is always at least at `inner`'s level through `outer`, and `inner` never decides anything.
 */
function dominates(outer: BudgetSpec, inner: BudgetSpec, covers: boolean): boolean {
  return (
    covers &&
    outer.period === inner.period &&
    outer.timezone === inner.timezone &&
    outer.amountUsd <= inner.amountUsd &&
    LEVELS.every((l) => outer.thresholds[l] <= inner.thresholds[l]) &&
    outer.pacing === inner.pacing &&
    outer.rollover === inner.rollover
  );
}

function membersOf(b: BudgetSpec, fleet: readonly ListedEndpoint[]): Set<string> {
  return new Set(fleet.filter((e) => inScope(b.scope, e)).map((e) => e.id));
}

function unreachable(budgets: readonly BudgetSpec[], fleet: readonly ListedEndpoint[] | undefined): BudgetFinding[] {
  const out: BudgetFinding[] = [];
  const members = fleet ? budgets.map((b) => membersOf(b, fleet)) : null;
  const covers = (o: number, i: number): boolean => {
    const outer = budgets[o] as BudgetSpec;
    const inner = budgets[i] as BudgetSpec;
    if (!inner.scope.services.every((s) => outer.scope.all || outer.scope.services.includes(s))) return false;
    if (!members) return scopeCovers(outer.scope, inner.scope);
    const inside = members[i] as Set<string>;
    const around = members[o] as Set<string>;
    return inside.size > 0 && [...inside].every((id) => around.has(id));
  };
  budgets.forEach((inner, i) => {
    budgets.forEach((outer, o) => {
      if (o === i || !dominates(outer, inner, covers(o, i))) return;
      // Two budgets that dominate each other are duplicates: report the later one only.
      if (o > i && dominates(inner, outer, covers(i, o))) return;
      if (out.some((f) => f.path === inner.path)) return;
      const t = (b: BudgetSpec) => LEVELS.map((l) => b.thresholds[l]).join(" / ");
      out.push({
        path: inner.path,
        message:
          `unreachable: every member of "${inner.name}" is also in "${outer.name}" (${outer.path}), whose $${outer.amountUsd} per ` +
          `${outer.period} with thresholds ${t(outer)} reaches each level no later than "${inner.name}"'s $${inner.amountUsd} ` +
          `with ${t(inner)}, so "${inner.name}" never changes what happens to an endpoint. Lower its amount or thresholds, or remove it.`,
      });
    });
  });
  return out;
}

function againstFleet(budgets: readonly BudgetSpec[], fleet: readonly ListedEndpoint[]): BudgetFinding[] {
  const out: BudgetFinding[] = [];
  const ids = new Set(fleet.map((e) => e.id));
  const namespaces = new Set(fleet.map((e) => e.namespace));
  const tags = new Set(fleet.flatMap((e) => e.tags ?? []));
  for (const b of budgets) {
    const s = b.scope;
    if (s.all) continue;
    if (s.services.length === 0 && !fleet.some((e) => inScope(s, e))) {
      out.push({
        path: `${b.path}.scope`,
        message: `matches no endpoint of the ${fleet.length} listed: budget "${b.name}" would pay for nothing`,
      });
    }
    s.namespaces.forEach((n, j) => {
      if (!namespaces.has(n)) out.push({ path: `${b.path}.scope.namespaces[${j}]`, message: `no endpoint is listed in namespace "${n}"` });
    });
    s.endpoints.forEach((id, j) => {
      if (!ids.has(id)) out.push({ path: `${b.path}.scope.endpoints[${j}]`, message: `no endpoint "${id}" in the listing` });
    });
    s.tags.forEach((t, j) => {
      if (!tags.has(t)) {
        out.push({
          path: `${b.path}.scope.tags[${j}]`,
          message: `unknown tag "${t}": no listed endpoint carries it (tags are case-sensitive; listed tags: ${[...tags].sort().join(", ") || "none"})`,
        });
      }
    });
  }
  return out;
}

/** Findings about `budgets` (normalised, fleet budget included); `fleet` enables the checks that need real endpoints. */
export function budgetFindings(budgets: readonly BudgetSpec[], fleet?: readonly ListedEndpoint[]): BudgetFinding[] {
  return [...unreachable(budgets, fleet), ...(fleet ? againstFleet(budgets, fleet) : [])];
}
