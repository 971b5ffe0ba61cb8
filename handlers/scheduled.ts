// The Worker's scheduled event: runs the guard tick (src/tick) with the isolate's runtime.
import type { NotifyLogEntry } from "../src/notify/index.ts";
import { runTick, type TickLogEntry } from "../src/tick/index.ts";
import type { Runtime } from "./runtime.ts";

const log = (entry: TickLogEntry | NotifyLogEntry) => console.log(JSON.stringify({ at: new Date().toISOString(), ...entry }));

export async function scheduledTick(controller: ScheduledController, env: Cloudflare.Env, runtime: Runtime): Promise<void> {
  const { config, provider, requests } = runtime;
  const startCount = requests.n;
  await runTick({
    db: env.DB,
    provider,
    policy: config.policy,
    problems: config.problems,
    now: controller.scheduledTime,
    clock: runtime.clock,
    holder: crypto.randomUUID(),
    log,
    subrequests: () => requests.n - startCount,
    notifier: runtime.notifier(log),
  });
}
