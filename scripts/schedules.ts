// `npm run schedules -- plan | apply | prune [--policy file]`: syncs the policy's predictive
// schedules into EventBridge Scheduler. plan prints the difference and changes nothing; apply
// creates the group and creates or updates schedules in place; prune deletes the group's
// schedules that the policy no longer has. Credentials from the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN); region from AWS_REGION or the policy;
// AWS_ENDPOINT_URL_SCHEDULER points at a local server. Exit 0 on success, 1 on any failure.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parsePolicy } from "../src/policy/index.ts";
import {
  applySync,
  desiredSchedules,
  planSync,
  pruneSync,
  renderPlan,
  renderResult,
  schedulerClient,
  schedulerRegion,
} from "../src/schedule/index.ts";

const USAGE = "usage: npm run schedules -- plan | apply | prune [--policy guardrail.yaml]";

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { policy: { type: "string", default: "guardrail.yaml" } } });
  const command = positionals[0];
  if (command !== "plan" && command !== "apply" && command !== "prune") {
    console.error(USAGE);
    return 1;
  }
  const file = values.policy;
  const parsed = parsePolicy(readFileSync(file, "utf8"));
  if (!parsed.ok) {
    console.error(`${file} is invalid (npm run check ${file} explains):`);
    for (const i of parsed.issues) console.error(`  ${i.path}: ${i.message}`);
    return 1;
  }
  const policy = parsed.policy;
  const region = process.env.AWS_REGION ?? schedulerRegion(policy);
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = process.env;
  if (!region) {
    console.error("no region: set schedules.region or schedules.commands_topic_arn in the policy, or AWS_REGION");
    return 1;
  }
  if (!accessKeyId || !secretAccessKey) {
    console.error("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the guardrail user's keys, see README)");
    return 1;
  }
  const endpoint = process.env.AWS_ENDPOINT_URL_SCHEDULER;
  const client = schedulerClient({ region, credentials: { accessKeyId, secretAccessKey, sessionToken }, endpoint });
  const group = policy.schedules.group;
  console.log(`EventBridge Scheduler ${endpoint ?? region}, policy ${file}`);

  const plan = await planSync(client, group, desiredSchedules(policy));
  console.log(renderPlan(plan, Date.now()));
  if (command === "plan") return 0;
  const result = command === "apply" ? await applySync(client, plan) : await pruneSync(client, plan);
  console.log(`${command}: ${renderResult(result)}`);
  return result.errors.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // SDK failures (no rights, no network) name the operation and AWS's error code.
    console.error(`failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    process.exit(1);
  },
);
