// `npm run schema`: writes guardrail.schema.json from the zod schema, for editor completion
// (add `# yaml-language-server: $schema=./guardrail.schema.json` at the top of guardrail.yaml).
import { writeFileSync } from "node:fs";
import * as z from "zod";
import { policySchema } from "../src/policy/index.ts";

const schema = z.toJSONSchema(policySchema, { io: "input", unrepresentable: "any" });
writeFileSync("guardrail.schema.json", `${JSON.stringify({ ...schema, title: "budget-guardrail policy" }, null, 2)}\n`);
console.log("wrote guardrail.schema.json");
