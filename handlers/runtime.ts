// The Worker's runtime: the shared wiring (src/runtime: config, HF client, notifier, clock) on this
// Worker's environment and its policy (config.ts: the bundled guardrail.yaml or GUARDRAIL_POLICY).
// worker.ts hands it to the scheduled tick and the Hono app puts it on every request's context (the
// `init` middleware in http/app.ts), so no route loads the policy or builds a client.
import { createRuntime, type Runtime as SharedRuntime } from "../src/runtime/index.ts";
import { type Config, loadConfig } from "./config.ts";

export type Runtime = SharedRuntime<Config>;

/** The runtime for this environment. The policy text is parsed once per isolate (config.ts caches it). */
export function runtimeFor(env: Cloudflare.Env, clock: () => number = () => Date.now()): Runtime {
  return createRuntime(env, loadConfig(env), { clock });
}
