// The policy reference and the editor schema are generated from the zod schema; these fail when a
// description, default or key changes without `npm run docs:policy` / `npm run schema`.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { policySchema } from "../../src/policy/index.ts";
import { policyReference, undescribedKeys } from "../../src/policy/reference.ts";

const read = (rel: string) => readFileSync(new URL(`../../${rel}`, import.meta.url), "utf8");

describe("the generated policy reference", () => {
  it("docs/policy-reference.md is what `npm run docs:policy` writes now", () => {
    expect(read("docs/policy-reference.md"), "stale: run `npm run docs:policy`").toBe(policyReference());
  });

  it("guardrail.schema.json is what `npm run schema` writes now", () => {
    const schema = z.toJSONSchema(policySchema, { io: "input", unrepresentable: "any" });
    expect(JSON.parse(read("guardrail.schema.json")), "stale: run `npm run schema`").toEqual({
      ...schema,
      title: "budget-guardrail policy",
    });
  });

  it("describes every key of the policy", () => {
    expect(undescribedKeys()).toEqual([]);
  });

  it("lists every key with its default, as the schema parses it", () => {
    const doc = read("docs/policy-reference.md");
    expect(doc).toMatch(/^\| `thresholds\.reroute` \| number > 0 \| `1\.5` \| /m);
    expect(doc).toMatch(/^\| `budget\.daily_usd` \| number > 0 \| required \| /m);
    expect(doc).toMatch(/^\| `endpoints\["ns\/name"\]\.critical` \| boolean \| none \| /m);
    expect(doc).toMatch(/^\| `schedules\.entries\[\]\.cron` \| string \| required \| /m);
    // What the cold_starts trigger counts (docs/metering.md, "Cold starts are replica starts"): every start.
    expect(doc).toMatch(/^\| `triggers\.cold_starts\.max_per_hour` \| .*wakes from zero and scale-ups alike/m);
  });
});
