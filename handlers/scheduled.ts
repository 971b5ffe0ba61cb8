// The Worker's scheduled event: runs the guard tick (src/tick) on the isolate's runtime (src/runtime's runGuardTick).
import type { NotifyLogEntry } from "../src/notify/index.ts";
import { runGuardTick } from "../src/runtime/index.ts";
import type { TickLogEntry, TickReport } from "../src/tick/index.ts";
import type { Runtime } from "./runtime.ts";

const log = (entry: TickLogEntry | NotifyLogEntry) => console.log(JSON.stringify({ at: new Date().toISOString(), ...entry }));

export async function scheduledTick(controller: ScheduledController, env: Cloudflare.Env, runtime: Runtime): Promise<TickReport> {
  return runGuardTick(runtime, { db: env.DB, now: controller.scheduledTime, holder: crypto.randomUUID(), log });
}
