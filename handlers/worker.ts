import { createApp } from "./http/app.ts";
import { runtimeFor } from "./runtime.ts";
import { syncSchedulesAfterTick } from "./schedule-sync.ts";
import { scheduledTick } from "./scheduled.ts";
import { Gateway } from "../src/gateway/index.ts";

const clock = () => Date.now();
const gateway = new Gateway();
const app = createApp({ clock, gateway });
const PATH = /^\/v1\/gateway\/([^/]+)(\/.*)?$/;

export default {
  async fetch(req, env, ctx) {
    const url = new URL(req.url);
    const m = PATH.exec(url.pathname);
    if (!m) return app.fetch(req, env, ctx);
    const config = runtimeFor(env, clock).config;
    if (!config.policy.ok) return new Response("bad", { status: 503 });
    const e = env as unknown as Record<string, unknown>;
    const outcome = await gateway.handle({
      request: req,
      service: m[1] ?? "",
      rest: m[2] ?? "",
      search: url.search,
      services: config.policy.policy.services,
      secret: (name) => (typeof e[name] === "string" ? (e[name] as string) : undefined),
      withheld: env.READ_TOKEN ? [env.READ_TOKEN] : [],
      timezone: config.policy.policy.budget.timezone,
      db: env.DB,
      waitUntil: (p) => ctx.waitUntil(p),
    });
    if (outcome.ok) return outcome.response;
    return Response.json({ error: { code: outcome.code, message: outcome.message } }, { status: outcome.status });
  },
  async scheduled(controller, env) {
    controller.noRetry?.();
    const runtime = runtimeFor(env, clock);
    await scheduledTick(controller, env, runtime);
    await syncSchedulesAfterTick(env, controller.scheduledTime, runtime.config);
  },
} satisfies ExportedHandler<Cloudflare.Env>;
