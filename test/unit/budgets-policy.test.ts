import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { budgetFindings, type ListedEndpoint } from "../../src/core/index.ts";
import { budgetsOf, fallbackWarnings, type PolicyInput, parsePolicy, validatePolicy } from "../../src/policy/index.ts";
import { endpointWithStatusSchema, toSnapshot } from "../../src/providers/hf/index.ts";
import { policy } from "../fixtures/builders.ts";

const base: PolicyInput = {
  mode: "enforce",
  budget: { daily_usd: 500, timezone: "Europe/Paris" },
  hf: { namespaces: ["acme"] },
};

function issuesOf(over: Partial<PolicyInput>) {
  const res = validatePolicy({ ...base, ...over });
  if (res.ok) throw new Error("expected the policy to be invalid");
  return res.issues.map((i) => [i.path, i.message]);
}

describe("budgets in the policy", () => {
  it("accepts a policy with only the budget: block, as before, as one fleet-wide daily budget", () => {
    const res = parsePolicy("budget: { daily_usd: 50 }\nhf: { namespaces: [acme] }\n");
    if (!res.ok) throw new Error(JSON.stringify(res.issues));
    expect(res.policy.budgets).toEqual([]);
    expect(budgetsOf(res.policy).map((b) => [b.name, b.period, b.amountUsd, b.scope.all])).toEqual([["fleet", "day", 50, true]]);
  });

  it("accepts the worked example of docs/budgets.md, with no finding and no warning from npm run check", () => {
    const blocks = [...readFileSync("docs/budgets.md", "utf8").matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    const res = parsePolicy(blocks[1] ?? "");
    if (!res.ok) throw new Error(JSON.stringify(res.issues));
    expect(budgetsOf(res.policy).map((b) => b.name)).toEqual(["fleet", "search", "chat", "evals"]);
    expect(budgetFindings(budgetsOf(res.policy))).toEqual([]);
    expect(fallbackWarnings(res.policy)).toEqual([]);
  });

  it("names the path of each rule a budget breaks", () => {
    const issues = issuesOf({
      services: {
        summarize: { primary: { target: "acme/llm" }, fallback: { target: "https://router.huggingface.co" }, callers: ["KEY"] },
      },
      budgets: [
        { name: "fleet", period: "day", amount_usd: 1, scope: { all: true } },
        { name: "search", period: "month", amount_usd: 3000, scope: { tags: ["team-search"] } },
        { name: "search", period: "month", amount_usd: 10, timezone: "America/New_York", scope: { namespaces: ["other"] } },
        {
          name: "chat",
          period: "day",
          amount_usd: 200,
          pacing: "even",
          scope: { endpoints: ["other/llm"], services: ["summarize", "nope"] },
        },
        {
          name: "evals",
          period: "month",
          amount_usd: 50,
          timezone: "Europe/Paris",
          rollover: true,
          thresholds: { reroute: 3 },
          scope: { tags: ["eval"] },
        },
      ],
    });
    expect(issues).toEqual([
      ["budgets[0].name", `"fleet" is the name of the \`budget:\` block's fleet-wide daily budget; choose another`],
      [
        "budgets[1].timezone",
        "a month budget needs a time zone, so the month starts at the midnight you mean (for example timezone: Europe/Paris)",
      ],
      ["budgets[2].name", `budget name "search" is already used by budgets[1]`],
      [
        "budgets[2].timezone",
        "must be the budget day's time zone Europe/Paris (`budget.timezone`): the ledger keeps spend per day starting at midnight in that zone, so a period in America/New_York would reset at a midnight the ledger does not record",
      ],
      ["budgets[2].scope.namespaces[0]", `namespace "other" is not in hf.namespaces, so no endpoint of it is ever observed`],
      ["budgets[3].pacing", "pacing and rollover apply to month budgets; a day budget is its own daily allowance"],
      ["budgets[3].scope.endpoints[0]", `"other/llm" is in namespace "other", which is not in hf.namespaces, so it is never observed`],
      ["budgets[3].scope.services[1]", 'no gateway service "nope" in `services`'],
      [
        "budgets[4].rollover",
        "remaining pacing already spreads what is left (unspent or overspent) over the days left; rollover applies to `pacing: even`",
      ],
      ["budgets[4].thresholds", "thresholds must increase: scale_down < reroute < shutdown (with the policy's defaults: 1.2 / 3 / 2)"],
    ]);
  });

  it("rejects a scope that names nothing, a name that is not a slug and an unknown key", () => {
    const issues = issuesOf({
      budgets: [{ name: "Search Team", period: "week" as "day", amount_usd: 0, scope: {}, teams: 1 } as never],
    });
    expect(issues.map(([path]) => path)).toEqual(
      expect.arrayContaining(["budgets[0].name", "budgets[0].period", "budgets[0].amount_usd", "budgets[0].scope", "budgets[0]"]),
    );
  });
});

describe("budget findings of npm run check", () => {
  const teams = (over: Partial<PolicyInput> = {}) =>
    policy({
      ...base,
      budgets: [
        { name: "search", period: "month", amount_usd: 3000, timezone: "Europe/Paris", scope: { tags: ["team-search"] } },
        { name: "chat", period: "day", amount_usd: 200, scope: { tags: ["team-chat"] } },
      ],
      ...over,
    });

  it("refuses a budget named dry_run or raise: alert keys end in a budget's name, and in those for dry run and raises", () => {
    expect(issuesOf({ budgets: [{ name: "dry_run", period: "day", amount_usd: 10, scope: { tags: ["x"] } }] })).toContainEqual([
      "budgets[0].name",
      "dry_run and raise are reserved (alert keys use them)",
    ]);
    expect(issuesOf({ budgets: [{ name: "raise", period: "day", amount_usd: 10, scope: { tags: ["x"] } }] })).toContainEqual([
      "budgets[0].name",
      "dry_run and raise are reserved (alert keys use them)",
    ]);
  });

  it("finds nothing wrong with two teams under a larger fleet budget", () => {
    expect(budgetFindings(budgetsOf(teams()))).toEqual([]);
  });

  it("finds a budget that another one makes unreachable", () => {
    const p = teams({
      budgets: [
        { name: "everything", period: "day", amount_usd: 600, scope: { all: true } },
        { name: "chat", period: "day", amount_usd: 200, scope: { tags: ["team-chat"] } },
        { name: "chat-gpu", period: "day", amount_usd: 250, scope: { tags: ["team-chat"] }, thresholds: { scale_down: 1.3 } },
        { name: "chat-copy", period: "day", amount_usd: 200, scope: { tags: ["team-chat"] } },
      ],
    });
    expect(budgetFindings(budgetsOf(p)).map((f) => f.path)).toEqual(["budgets[0]", "budgets[2]", "budgets[3]"]);
    expect(budgetFindings(budgetsOf(p))[0]?.message).toBe(
      `unreachable: every member of "everything" is also in "fleet" (budget), whose $500 per day with thresholds 1.2 / 1.5 / 2 ` +
        `reaches each level no later than "everything"'s $600 with 1.2 / 1.5 / 2, so "everything" never changes what happens to an endpoint. ` +
        "Lower its amount or thresholds, or remove it.",
    );
  });

  it("does not call a budget unreachable when its period, pacing or a lower threshold can still decide", () => {
    const p = teams({
      budgets: [
        { name: "month-all", period: "month", amount_usd: 9000, timezone: "Europe/Paris", scope: { all: true } },
        { name: "big-but-strict", period: "day", amount_usd: 600, thresholds: { scale_down: 1.0 }, scope: { all: true } },
        { name: "even", period: "month", amount_usd: 9000, timezone: "Europe/Paris", pacing: "even", scope: { all: true } },
      ],
    });
    expect(budgetFindings(budgetsOf(p))).toEqual([]);
  });

  const fleet: ListedEndpoint[] = [
    { namespace: "acme", id: "acme/search-a", tags: ["team-search", "prod"] },
    { namespace: "acme", id: "acme/chat-a", tags: ["team-chat"] },
  ];

  it("with a fleet listing: finds unknown tags, unlisted endpoints and scopes that match nothing", () => {
    const p = teams({
      budgets: [
        { name: "search", period: "month", amount_usd: 3000, timezone: "Europe/Paris", scope: { tags: ["team-serach"] } },
        { name: "chat", period: "day", amount_usd: 200, scope: { tags: ["team-chat"], endpoints: ["acme/chat-b"] } },
      ],
    });
    expect(budgetFindings(budgetsOf(p), fleet)).toEqual([
      { path: "budgets[0].scope", message: `matches no endpoint of the 2 listed: budget "search" would pay for nothing` },
      {
        path: "budgets[0].scope.tags[0]",
        message: `unknown tag "team-serach": no listed endpoint carries it (tags are case-sensitive; listed tags: prod, team-chat, team-search)`,
      },
      { path: "budgets[1].scope.endpoints[0]", message: `no endpoint "acme/chat-b" in the listing` },
    ]);
  });

  it("with a fleet listing: judges overlap on the real members", () => {
    // Different tags, but the listing shows every "prod" endpoint is a search endpoint.
    const p = teams({
      budgets: [
        { name: "search", period: "day", amount_usd: 100, scope: { tags: ["team-search"] } },
        { name: "prod", period: "day", amount_usd: 150, scope: { tags: ["prod"] } },
      ],
    });
    expect(budgetFindings(budgetsOf(p))).toEqual([]);
    expect(budgetFindings(budgetsOf(p), fleet).map((f) => f.path)).toEqual(["budgets[1]"]);
  });
});

describe("HF endpoint tags", () => {
  it("keeps the tags of the HF payload in the snapshot budgets select on", () => {
    // The GET /v2/endpoint/{ns}/{name} example of shared/reference/hf-endpoints-api.md §2.2 carries "tags": ["prod", "chat"].
    const raw = JSON.parse(readFileSync("/work/shared/vectors/hf/get_endpoint_running.json", "utf8")) as Record<string, unknown>;
    const parsed = endpointWithStatusSchema.parse({ ...raw, tags: ["prod", "chat"] });
    expect(toSnapshot(parsed, "acme").tags).toEqual(["prod", "chat"]);
    expect(toSnapshot(endpointWithStatusSchema.parse(raw), "acme").tags).toEqual([]);
  });
});

describe("npm run check", () => {
  const dir = mkdtempSync(join(tmpdir(), "check-budgets-"));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "scripts/check-policy.ts", ...args], { encoding: "utf8" });
  const yaml = `mode: enforce
budget: { daily_usd: 500, timezone: Europe/Paris }
hf: { namespaces: [acme] }
budgets:
  - { name: search, period: month, amount_usd: 3000, timezone: Europe/Paris, scope: { tags: [team-search] } }
  - { name: chat, period: day, amount_usd: 200, scope: { tags: [team-chat] } }
`;

  it("lists the budgets and says what it could not check offline", () => {
    writeFileSync(join(dir, "ok.yaml"), yaml);
    const r = run(join(dir, "ok.yaml"));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`budget "search": $3000/month (Europe/Paris, remaining pacing); thresholds 1.2 / 1.5 / 2; tags team-search`);
    expect(r.stdout).toContain("pass --fleet <listing.json>");
  });

  it("explains an unknown tag with its path when given a fleet listing", () => {
    writeFileSync(join(dir, "ok.yaml"), yaml);
    const endpoint = JSON.parse(readFileSync("/work/shared/vectors/hf/get_endpoint_running.json", "utf8")) as Record<string, unknown>;
    writeFileSync(join(dir, "fleet.json"), JSON.stringify({ acme: { items: [{ ...endpoint, tags: ["team-search"] }] } }));
    const r = run(join(dir, "ok.yaml"), "--fleet", join(dir, "fleet.json"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('budgets[1].scope.tags[0]: unknown tag "team-chat"');
  });
});
