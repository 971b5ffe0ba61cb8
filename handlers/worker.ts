// The composition root: the Worker's fetch (HTTP API) and scheduled (guard tick) handlers.
import { createApp } from "./http/app.ts";
import { syncSchedulesAfterTick } from "./schedule-sync.ts";
import { scheduledTick } from "./scheduled.ts";

const app = createApp({ clock: () => Date.now() });

export default {
  fetch: app.fetch,
  async scheduled(controller, env) {
    // A failed tick is not retried by the platform: the next minute's tick observes afresh.
    controller.noRetry?.();
    await scheduledTick(controller, env);
    await syncSchedulesAfterTick(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<Cloudflare.Env>;
