// `npm start`: the guardrail running locally under wrangler (workerd + local D1) against the
// simulated HF fleet, with a tick every few seconds and a readable timeline. No account, no keys.
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { parse } from "yaml";
import { formatUsd } from "../src/core/index.ts";
import { DEMO_FLEET, DEMO_NAMESPACE, startEmulator, startSlackWebhookServer, startSnsServer } from "../src/fakes/index.ts";
import { startUpstream } from "../test/fixtures/upstream.ts";
import { freePort, startWranglerDev } from "./wrangler-dev.ts";

const TICK_SECONDS = Number(process.env.DEMO_TICK_SECONDS ?? 10);
const STATE_DIR = ".wrangler/demo-state";
const LOG_FILE = ".wrangler/demo-wrangler.log";
const POLICY_FILE = "scripts/demo-policy.yaml";
/** A fresh secret per run, printed, so the demo can be steered with `npm run override`. */
const OVERRIDE_SECRET = randomBytes(16).toString("hex");
const CALLER_KEY = randomBytes(16).toString("hex");
/** Demo callers of the summarize service per tick. */
const REQUESTS_PER_TICK = 6;

const tty = process.stdout.isTTY;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const dim = paint("2");
const bold = paint("1");
const red = paint("31");
const yellow = paint("33");
const green = paint("32");
const cyan = paint("36");
const LEVEL_COLOR: Record<string, (s: string) => string> = { normal: green, scale_down: yellow, reroute: yellow, shutdown: red };

const clock = () => new Date().toISOString().slice(11, 19);
const say = (line: string) => console.log(`${dim(clock())}  ${line}`);

interface Status {
  mode?: string;
  acting: boolean;
  policy: { valid: boolean; issues: Array<{ path: string; message: string }> };
  problems: Array<{ path: string; message: string }>;
  budget?: {
    spend_usd: number;
    daily_usd: number;
    ratio: number;
    level_name: string;
    burn_usd_per_hour: number;
    sources: { endpoints_usd: number; gateway_usd: number; gateway_unpriced_answers: number };
  };
  endpoints?: Array<{ id: string; state: string; replicas: { target: number; max: number } }>;
  last_tick: { outcome: string; error: string | null } | null;
}

interface Event {
  id: number;
  type: string;
  kind: string;
  severity: string | null;
  endpoint: string | null;
  title: string;
  message: string;
  data: { status?: string };
}

async function main() {
  rmSync(STATE_DIR, { recursive: true, force: true });
  const emulator = await startEmulator({ port: await freePort() });
  emulator.reset(DEMO_NAMESPACE, { endpoints: DEMO_FLEET });
  const [slack, sns] = await Promise.all([startSlackWebhookServer(), startSnsServer()]);
  // Local stand-ins for demo/summarizer and for HF Inference Providers (an OpenAI-compatible answer with usage).
  const [summarizer, router] = await Promise.all([
    startUpstream({ name: "summarizer", record: false }),
    startUpstream({ name: "router", record: false }),
  ]);
  const demoPolicy = parse(readFileSync(POLICY_FILE, "utf8")) as {
    alerts?: { sns?: { topic_arn?: string } };
    services?: { summarize?: { primary: { target: string }; fallback: { target: string } } };
  };
  if (demoPolicy.services?.summarize) {
    demoPolicy.services.summarize.primary.target = summarizer.url;
    demoPolicy.services.summarize.fallback.target = router.url;
  }
  const topicArn = demoPolicy.alerts?.sns?.topic_arn ?? "";
  const policyJson = JSON.stringify(demoPolicy);
  console.log(bold("budget-guardrail demo"));
  console.log(`  simulated HF fleet  ${emulator.url} (namespace "${DEMO_NAMESPACE}", ${DEMO_FLEET.length} endpoints)`);
  console.log(`  policy              ${POLICY_FILE}; a tick every ${TICK_SECONDS} s (production: every minute)`);
  console.log(`  alerts              Slack webhook ${slack.url}, SNS ${sns.url} (local servers)`);
  console.log(dim("  applying D1 migrations and starting wrangler dev..."));
  const dev = await startWranglerDev({
    stateDir: STATE_DIR,
    logFile: LOG_FILE,
    vars: {
      HF_API_BASE: emulator.url,
      HF_HUB_BASE: emulator.url,
      HF_TOKEN: emulator.token,
      GUARDRAIL_POLICY: policyJson,
      SLACK_WEBHOOK_URL: slack.hookUrl("demo"),
      AWS_ACCESS_KEY_ID: sns.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sns.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SNS: sns.url,
      OVERRIDE_SIGNING_SECRET: OVERRIDE_SECRET,
      SUMMARIZE_CALLER_KEY: CALLER_KEY,
    },
  });
  const { base, process: wrangler } = dev;
  console.log(`  guardrail Worker    ${base}  (status page ${base}/ ; JSON ${base}/v1/status and ${base}/v1/events)`);
  console.log(
    `  steer it            OVERRIDE_SIGNING_SECRET=${OVERRIDE_SECRET} GUARDRAIL_URL=${base} npm run override -- suspend demo/batch-llm 30m --reason demo`,
  );

  /** the endpoints' metered spend at the last tick (`/v1/status` budget.sources.endpoints_usd) */
  let metered: number | null = null;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (timer) clearTimeout(timer);
    console.log(dim("\nstopping: wrangler dev, then the emulator..."));
    dev.stop();
    await Promise.all([emulator.close(), slack.close(), sns.close(), summarizer.close(), router.close()]);
    const cost = emulator.cost(DEMO_NAMESPACE);
    console.log(
      `simulated bill while the demo ran: ${formatUsd(cost.totalMicroUsd)} (each replica's run in started minutes, from the fleet's start)`,
    );
    // The guardrail's own figure beside it: it meters from its first tick, and estimates what it did not see.
    if (metered !== null)
      console.log(`the guardrail metered for the endpoints:  $${metered.toFixed(4)} (from its first tick, at the last one)`);
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  try {
    await dev.ready;
  } catch (err) {
    await emulator.close();
    throw err;
  }
  say(green(`guardrail up; first tick now. Status page: ${base}/`));

  // Demo callers: once the ladder capped demo/summarizer (120 %), half of them find it overloaded (503).
  // Before the reroute those errors reach the callers; at 150 % they move to the fallback.
  const traffic = async (level: string) => {
    const counts = new Map<string, number>();
    for (let i = 0; i < REQUESTS_PER_TICK; i++) {
      const overloaded = level !== "normal" && i % 2 === 0;
      const res = await fetch(`${base}/v1/gateway/summarize/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${CALLER_KEY}`,
          "content-type": "application/json",
          "x-upstream-summarizer": overloaded ? "status=503" : "",
          "x-upstream-router": "usage=900:300,model=meta-llama/Llama-3.1-8B-Instruct",
        },
        body: JSON.stringify({ model: "meta-llama/Llama-3.1-8B-Instruct", messages: [{ role: "user", content: "Summarise." }] }),
      });
      await res.arrayBuffer();
      const where =
        res.status === 429
          ? "refused (budget_exhausted)"
          : res.headers.get("x-guardrail-target") === "fallback"
            ? `fallback (${res.headers.get("x-guardrail-reason")})`
            : res.ok
              ? "primary"
              : `primary error ${res.status}`;
      counts.set(where, (counts.get(where) ?? 0) + 1);
    }
    return [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
  };

  let lastEventId = 0;
  let slackSeen = 0;
  let snsSeen = 0;
  const tick = async () => {
    const outcome = await dev.tick(Date.now());
    const status = (await (await fetch(`${base}/v1/status`)).json()) as Status;
    const { events } = (await (await fetch(`${base}/v1/events?after=${lastEventId}&limit=200`)).json()) as { events: Event[] };
    if (outcome !== "ok") say(red(`tick ${outcome}: see ${LOG_FILE}`));
    if (!status.policy.valid || status.problems.length) {
      for (const i of [...status.policy.issues, ...status.problems]) say(red(`config: ${i.path}: ${i.message}`));
    }
    if (status.budget) {
      const b = status.budget;
      metered = b.sources.endpoints_usd;
      say(`${cyan("traffic")} ${REQUESTS_PER_TICK} callers of summarize via the gateway: ${await traffic(b.level_name)}`);
      const lvl = (LEVEL_COLOR[b.level_name] ?? ((s: string) => s))(b.level_name.padEnd(10));
      const billing = (status.endpoints ?? []).reduce((n, e) => n + (e.state === "running" ? e.replicas.target : 0), 0);
      say(
        `${cyan("tick")}   spend $${b.spend_usd.toFixed(4)} of $${b.daily_usd.toFixed(2)}  ${(b.ratio * 100).toFixed(1).padStart(6)}%  ${lvl} ` +
          `(endpoints $${b.sources.endpoints_usd.toFixed(4)} + gateway $${b.sources.gateway_usd.toFixed(4)})  ` +
          `burn $${b.burn_usd_per_hour.toFixed(2)}/h  ${billing} replicas billing${status.last_tick?.outcome && status.last_tick.outcome !== "ok" ? `  (${status.last_tick.outcome})` : ""}`,
      );
    }
    for (const e of events.reverse()) {
      lastEventId = Math.max(lastEventId, e.id);
      if (e.type === "action") {
        const mark = e.data.status === "failed" ? red("ACTION FAILED") : bold("ACTION");
        say(`${mark} ${e.title}\n${" ".repeat(10)}${dim(`why: ${e.message}`)}`);
      } else if (e.type === "override") {
        say(`${cyan("OVERRIDE")} ${e.title}\n${" ".repeat(10)}${dim(`why: ${e.message}`)}`);
      } else {
        const sev = e.severity === "critical" ? red("critical") : e.severity === "warning" ? yellow("warning") : "info";
        say(`${bold("ALERT")}  ${sev} ${e.title}\n${" ".repeat(10)}${dim(e.message)}`);
      }
    }
    // What reached the (local) Slack channel and SNS topic this tick, as their servers received it.
    for (const m of slack.messages("demo").slice(slackSeen)) say(`${cyan("→ Slack")} ${m.payload.text ?? ""}`);
    slackSeen = slack.messages("demo").length;
    for (const m of sns.messages(topicArn).slice(snsSeen))
      say(`${cyan("→ SNS")}   ${m.subject ?? ""} ${dim(`(MessageId ${m.messageId.slice(0, 8)}…)`)}`);
    snsSeen = sns.messages(topicArn).length;
  };
  const loop = async () => {
    try {
      await tick();
    } catch (err) {
      if (!stopping) say(red(`tick request failed: ${err instanceof Error ? err.message : String(err)}`));
    }
    if (!stopping) timer = setTimeout(loop, TICK_SECONDS * 1000);
  };
  wrangler.on("exit", (code) => {
    if (!stopping) {
      say(red(`wrangler dev exited (${code}); see ${LOG_FILE}`));
      void stop(1);
    }
  });
  await loop();
}

main().catch((err) => {
  console.error(red(`npm start failed: ${err instanceof Error ? err.message : String(err)}`));
  process.exit(1);
});
