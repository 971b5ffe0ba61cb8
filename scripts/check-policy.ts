// `npm run check [file]`: validates a policy (default guardrail.yaml) and explains every error
// with its path and the allowed values. Exit 0 when valid, 1 when not.
import { readFileSync } from "node:fs";
import { fallbackWarnings, parsePolicy } from "../src/policy/index.ts";

const file = process.argv[2] ?? "guardrail.yaml";
let text: string;
try {
  text = readFileSync(file, "utf8");
} catch (err) {
  console.error(`${file}: cannot read (${err instanceof Error ? err.message : String(err)})`);
  process.exit(1);
}
const res = parsePolicy(text);
if (res.ok) {
  const p = res.policy;
  const endpoints = Object.keys(p.endpoints).filter((k) => k !== "defaults");
  console.log(
    `${file}: valid. mode ${p.mode}; budget $${p.budget.daily_usd}/day (${p.budget.timezone}); thresholds ` +
      `${p.thresholds.scale_down} / ${p.thresholds.reroute} / ${p.thresholds.shutdown}; namespaces ${p.hf.namespaces.join(", ")}; ` +
      `${endpoints.length} endpoint entr${endpoints.length === 1 ? "y" : "ies"}; ` +
      `${Object.keys(p.services).length} gateway service${Object.keys(p.services).length === 1 ? "" : "s"}.`,
  );
  const warnings = fallbackWarnings(p);
  for (const w of warnings) console.warn(`  warning: ${w.path}: ${w.message}`);
  process.exit(0);
}
console.error(`${file}: ${res.issues.length} error${res.issues.length === 1 ? "" : "s"}`);
for (const i of res.issues) {
  console.error(`  ${i.path}: ${i.message}${i.allowed ? `\n    allowed values: ${i.allowed.join(", ")}` : ""}`);
}
process.exit(1);
