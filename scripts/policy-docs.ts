// `npm run docs:policy`: writes docs/policy-reference.md from the zod schema (src/policy/reference.ts).
import { writeFileSync } from "node:fs";
import { policyReference, undescribedKeys } from "../src/policy/reference.ts";

const missing = undescribedKeys();
if (missing.length > 0) {
  console.error(`keys without a description in src/policy: ${missing.join(", ")}`);
  process.exit(1);
}
writeFileSync(new URL("../docs/policy-reference.md", import.meta.url), policyReference());
console.log("wrote docs/policy-reference.md");
