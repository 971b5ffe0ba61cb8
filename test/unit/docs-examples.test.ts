// The examples a user copies from the docs do what the docs say: the small policy of docs/policy.md
// validates without a warning, and the `ack` example of docs/control.md names a condition the
// guardrail really raises (an ack of a key no alert ever had is refused with 404).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { alertCondition } from "../../src/core/overrides.ts";
import { hourlyBurn } from "../../src/core/triggers/hourly-burn.ts";
import { fallbackWarnings, parsePolicy, policySchema } from "../../src/policy/index.ts";
import { history, triggerContext } from "../fixtures/engine.ts";

const ROOT = join(import.meta.dirname, "../..");
const doc = (file: string) => readFileSync(join(ROOT, file), "utf8");

describe("examples in the docs", () => {
  it("the small policy of docs/policy.md validates with no warning", () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc("docs/policy.md"))?.[1] ?? "";
    const res = parsePolicy(yaml);
    if (!res.ok) throw new Error(JSON.stringify(res.issues));
    expect(fallbackWarnings(res.policy)).toEqual([]);
  });

  // What `npm run check` says of each: a fragment (a few top-level keys) is checked inside that small policy.
  it("every policy example of the README and docs/ validates with no warning, as `npm run check` reads it", () => {
    const base = parse(/```yaml\n([\s\S]*?)```/.exec(doc("docs/policy.md"))?.[1] ?? "") as Record<string, unknown>;
    const topLevel = new Set(Object.keys(policySchema.shape));
    const files = ["README.md", ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`)];
    const checked: string[] = [];
    const problems: string[] = [];
    for (const file of files) {
      for (const [i, m] of [...doc(file).matchAll(/```yaml\n([\s\S]*?)```/g)].entries()) {
        const example = parse(m[1] ?? "") as Record<string, unknown> | null;
        // A fragment of a deeper key (e.g. one service's `fallback:`) is not a policy on its own.
        if (!example || typeof example !== "object" || !Object.keys(example).every((k) => topLevel.has(k))) continue;
        const res = parsePolicy(JSON.stringify({ ...base, ...example }));
        const where = `${file} example ${i + 1}`;
        checked.push(where);
        if (!res.ok) problems.push(`${where}: ${res.issues.map((x) => `${x.path}: ${x.message}`).join("; ")}`);
        else for (const w of fallbackWarnings(res.policy)) problems.push(`${where}: warning ${w.path}: ${w.message}`);
      }
    }
    expect(checked.length).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });

  it("the hourly_burn ack of docs/control.md silences the condition the hourly_burn trigger raises", () => {
    const key = /npm run override -- ack (\S+)/.exec(doc("docs/control.md"))?.[1] ?? "";
    expect(key).toContain(":hourly_burn:");
    const ctx = triggerContext({ histories: { "acme/a": history({ windows: { 60: { spendMicro: 50_000_000 } } }) } });
    const [raised] = hourlyBurn.evaluate(ctx).alerts;
    expect(alertCondition(key)).toBe(alertCondition(raised?.dedupKey ?? ""));
  });
});
