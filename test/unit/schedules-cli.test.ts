// `npm run schedules -- plan | apply | prune` as a person runs it: a real process, the real
// Scheduler client (Node build), the local Scheduler server, a policy file.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SchedulerServer, startSchedulerServer } from "../../src/fakes/index.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
let server: SchedulerServer;
let dir: string;

beforeAll(async () => {
  server = await startSchedulerServer();
  dir = mkdtempSync(path.join(tmpdir(), "schedules-cli-"));
});
afterAll(() => server.close());

function policyFile(name: string, entries: string): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    `budget: { daily_usd: 100, timezone: America/New_York }
hf: { namespaces: [acme] }
schedules:
  group: cli-group
  commands_topic_arn: arn:aws:sns:us-east-1:123456789012:guardrail-commands
  role_arn: arn:aws:iam::123456789012:role/guardrail-scheduler
  entries:
${entries}`,
  );
  return file;
}

async function schedules(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, ["--import", "tsx", "scripts/schedules.ts", ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "secret",
        AWS_ENDPOINT_URL_SCHEDULER: server.url,
        ...env,
      },
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

const TWO = `    - { name: prewarm, endpoint: acme/llm, cron: "0 8 * * 1-5", replicas: 3 }
    - { name: evening, endpoint: acme/llm, cron: "0 18 * * 1-5", replicas: 0 }
`;

describe("npm run schedules", () => {
  it("plans, applies, then finds nothing to do; prune deletes what the policy dropped", { timeout: 60_000 }, async () => {
    const two = policyFile("two.yaml", TWO);
    const plan = await schedules(["plan", "--policy", two]);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain("+ create prewarm: cron(0 8 ? * MON-FRI *) America/New_York -> acme/llm");
    expect(plan.out).toContain("apply would create 2 and update 0; prune would delete 0");

    const apply = await schedules(["apply", "--policy", two]);
    expect(apply.out).toContain("apply: created the group; created prewarm, evening");
    expect((await schedules(["apply", "--policy", two])).out).toContain("apply: nothing changed");

    const one = policyFile("one.yaml", `    - { name: prewarm, endpoint: acme/llm, cron: "0 8 * * 1-5", replicas: 3 }\n`);
    expect((await schedules(["plan", "--policy", one])).out).toContain("- evening: not in the policy (prune deletes it)");
    expect((await schedules(["prune", "--policy", one])).out).toContain("prune: deleted evening");
    expect((await schedules(["plan", "--policy", one])).out).toContain("in sync: nothing to do");
  });

  it("explains a missing command, an invalid policy and missing credentials, with exit 1", { timeout: 60_000 }, async () => {
    expect((await schedules([])).err).toContain("usage: npm run schedules -- plan | apply | prune");
    const bad = policyFile("bad.yaml", `    - { name: x, endpoint: acme/llm, cron: "0 8 15 * 1", replicas: 3 }\n`);
    const invalid = await schedules(["plan", "--policy", bad]);
    expect(invalid).toMatchObject({ code: 1 });
    expect(invalid.err).toContain("schedules.entries[0].cron: day of month and day of week are both set");
    const nocreds = await schedules(["plan", "--policy", policyFile("ok.yaml", TWO)], { AWS_ACCESS_KEY_ID: "" });
    expect(nocreds.err).toContain("no credentials");
  });
});
