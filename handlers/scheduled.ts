// The scheduled guard tick: wires the Worker environment into runTick.
import { createNotifier, type NotifyLogEntry } from "../src/notify/index.ts";
import { HfClient } from "../src/providers/index.ts";
import { runTick, type TickLogEntry } from "../src/tick/index.ts";
import { loadConfig } from "./config.ts";

// One client per isolate, so the price catalog cache survives between ticks.
let client: { key: string; hf: HfClient; count: { n: number } } | undefined;

export function providerFor(env: Cloudflare.Env) {
  const key = `${env.HF_API_BASE}\n${env.HF_TOKEN ?? ""}`;
  if (client?.key !== key) {
    const count = { n: 0 };
    const counting: typeof fetch = (input, init) => {
      count.n++;
      return fetch(input, init);
    };
    client = { key, count, hf: new HfClient({ baseUrl: env.HF_API_BASE, token: env.HF_TOKEN ?? "", fetch: counting }) };
  }
  return client;
}

const log = (entry: TickLogEntry | NotifyLogEntry) => console.log(JSON.stringify({ at: new Date().toISOString(), ...entry }));

export async function scheduledTick(controller: ScheduledController, env: Cloudflare.Env): Promise<void> {
  const config = loadConfig(env);
  const provider = providerFor(env);
  const startCount = provider.count.n;
  await runTick({
    db: env.DB,
    provider: provider.hf,
    policy: config.policy,
    problems: config.problems,
    now: controller.scheduledTime,
    clock: () => Date.now(),
    holder: crypto.randomUUID(),
    log,
    subrequests: () => provider.count.n - startCount,
    notifier: createNotifier({
      secrets: env,
      // Every secret this Worker holds (HF_TOKEN, READ_TOKEN, signing secrets, ...), not only the alert channels'.
      alsoSecret: Object.entries(env).flatMap(([k, v]) =>
        typeof v === "string" && /TOKEN|SECRET|KEY|WEBHOOK|PASSWORD/.test(k) ? [v] : [],
      ),
      onRequest: () => provider.count.n++,
      log,
    }),
  });
}
