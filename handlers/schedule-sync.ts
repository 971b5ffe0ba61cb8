// After each tick: sync the policy's schedules into EventBridge Scheduler when they changed
// (schedules.sync_from_worker), with the Worker's AWS credentials. Never fails the tick.
import { type SchedulerApi, schedulerClient, schedulerRegion, syncFromWorker } from "../src/schedule/index.ts";
import { addTickSubrequests } from "../src/store/index.ts";
import type { Config } from "./config.ts";

/**
 * `tick`: the tick's row (null when it did not run) and the subrequests it made before the sync. The
 * sync's Scheduler requests share the invocation's limit (Free: 50), so its log line gives both and
 * they are added to the tick's row (`subrequests` in /v1/status is the invocation's total).
 */
export async function syncSchedulesAfterTick(
  env: Cloudflare.Env,
  now: number,
  config: Config,
  tick: { id: number | null; subrequests: number } = { id: null, subrequests: 0 },
): Promise<void> {
  if (!config.policy.ok || !config.policy.policy.schedules.sync_from_worker) return;
  const policy = config.policy.policy;
  const region = schedulerRegion(policy);
  let client: SchedulerApi | null = null;
  let requests = 0;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY && region) {
    client = schedulerClient({
      region,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
      endpoint: env.AWS_ENDPOINT_URL_SCHEDULER,
      onRequest: () => requests++,
    });
  }
  try {
    const r = await syncFromWorker({ db: env.DB, policy, now, client, subrequests: () => requests });
    if (r.outcome === "done" || r.outcome === "failed") {
      const counts = { subrequests: r.subrequests, invocation_subrequests: tick.subrequests + r.subrequests };
      console.log(JSON.stringify({ event: "schedule_sync", outcome: r.outcome, summary: r.summary, ...counts }));
      if (tick.id !== null && r.subrequests > 0) await addTickSubrequests(env.DB, tick.id, r.subrequests);
    }
  } catch (err) {
    console.error(JSON.stringify({ event: "schedule_sync", outcome: "error", message: err instanceof Error ? err.message : String(err) }));
  }
}
