// The composition root: the Worker's fetch (HTTP API) and scheduled (guard tick) handlers, both on
// the runtime built in runtime.ts (the app builds it per request in its init middleware).
import { createApp } from "./http/app.ts";
import { runtimeFor } from "./runtime.ts";
import { syncSchedulesAfterTick } from "./schedule-sync.ts";
import { scheduledTick } from "./scheduled.ts";

const clock = () => Date.now();
const app = createApp({ clock });

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    // A failed tick is not retried by the platform: the next minute's tick observes afresh.
    controller.noRetry?.();
    const runtime = runtimeFor(env, clock);
    const before = runtime.requests.n;
    const tick = await scheduledTick(controller, env, runtime);
    await syncSchedulesAfterTick(env, controller.scheduledTime, runtime.config, {
      id: tick.tickId ?? null,
      subrequests: runtime.requests.n - before,
    });
  },
} satisfies ExportedHandler<Cloudflare.Env>;
