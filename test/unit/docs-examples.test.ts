// The examples a user copies from the docs do what the docs say: the small policy of docs/policy.md
// validates without a warning, and the `ack` example of docs/control.md names a condition the
// guardrail really raises (an ack of a key no alert ever had is refused with 404).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { alertCondition } from "../../src/core/overrides.ts";
import { hourlyBurn } from "../../src/core/triggers/hourly-burn.ts";
import { fallbackWarnings, parsePolicy } from "../../src/policy/index.ts";
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

  it("the hourly_burn ack of docs/control.md silences the condition the hourly_burn trigger raises", () => {
    const key = /npm run override -- ack (\S+)/.exec(doc("docs/control.md"))?.[1] ?? "";
    expect(key).toContain(":hourly_burn:");
    const ctx = triggerContext({ histories: { "acme/a": history({ windows: { 60: { spendMicro: 50_000_000 } } }) } });
    const [raised] = hourlyBurn.evaluate(ctx).alerts;
    expect(alertCondition(key)).toBe(alertCondition(raised?.dedupKey ?? ""));
  });
});
