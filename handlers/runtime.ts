// The Worker's wiring, in one place: the configuration (policy and secrets), the HF client (one per
// isolate, so the price catalog cache survives between ticks and requests), the notifier and the
// clock. worker.ts hands it to the scheduled tick and the Hono app puts it on every request's
// context (the `init` middleware in http/app.ts), so no route loads the policy or builds a client.
import { createNotifier, type Notifier, type NotifyLogEntry } from "../src/notify/index.ts";
import { HfClient, type HfClientOptions } from "../src/providers/index.ts";
import { type Config, loadConfig } from "./config.ts";

export interface Runtime {
  config: Config;
  /** the isolate's HF client */
  provider: HfClient;
  /** HTTP requests made so far by the isolate's HF client and notifiers (the tick's subrequest count) */
  requests: { n: number };
  /** an HF client with other options (a route with its own retries, timeout or fetch) over the same API and token */
  hfClient(options: Omit<HfClientOptions, "baseUrl" | "token">): HfClient;
  /** the notifier of a tick: every secret this Worker holds is kept out of its messages */
  notifier(log: (entry: NotifyLogEntry) => void): Notifier;
  clock: () => number;
}

/** The Endpoints API and the Hub (billing usage) this environment talks to. */
const bases = (env: Cloudflare.Env) => ({ baseUrl: env.HF_API_BASE, ...(env.HF_HUB_BASE ? { hubBaseUrl: env.HF_HUB_BASE } : {}) });

// One client per isolate (per API base and token), so the price catalog cache survives between ticks.
let client: { key: string; hf: HfClient; count: { n: number } } | undefined;

function providerFor(env: Cloudflare.Env) {
  const key = `${env.HF_API_BASE}\n${env.HF_HUB_BASE ?? ""}\n${env.HF_TOKEN ?? ""}`;
  if (client?.key !== key) {
    const count = { n: 0 };
    const counting: typeof fetch = (input, init) => {
      count.n++;
      return fetch(input, init);
    };
    client = { key, count, hf: new HfClient({ ...bases(env), token: env.HF_TOKEN ?? "", fetch: counting }) };
  }
  return client;
}

/** The runtime for this environment. The policy text is parsed once per isolate (config.ts caches it). */
export function runtimeFor(env: Cloudflare.Env, clock: () => number = () => Date.now()): Runtime {
  const provider = providerFor(env);
  return {
    config: loadConfig(env),
    provider: provider.hf,
    requests: provider.count,
    hfClient: (options) => new HfClient({ ...bases(env), token: env.HF_TOKEN ?? "", ...options }),
    notifier: (log) =>
      createNotifier({
        secrets: env,
        // Every secret this Worker holds (HF_TOKEN, READ_TOKEN, signing secrets, ...), not only the alert channels'.
        alsoSecret: Object.entries(env).flatMap(([k, v]) =>
          typeof v === "string" && /TOKEN|SECRET|KEY|WEBHOOK|PASSWORD/.test(k) ? [v] : [],
        ),
        onRequest: () => provider.count.n++,
        log,
      }),
    clock,
  };
}
