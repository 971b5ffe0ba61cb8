// The world, wired once per isolate: the configuration (a parsed policy and the secrets' problems), the
// HF client (one per API base and token, so the price catalog cache survives between ticks and
// requests), the notifier of a tick, the clock, and the tick run on them. The Worker
// (handlers/runtime.ts, which reads the bundled policy) and the simulator's tick Worker
// (src/sim/tick-worker.ts) both build it here, so a simulated or benchmarked tick is the Worker's tick,
// outbox included.
import { createNotifier, type Notifier, type NotifyLogEntry, type NotifySecrets } from "../notify/index.ts";
import { fallbackWarnings, gatewaySecretProblems, type PolicyIssue, type PolicyResult } from "../policy/index.ts";
import { HfClient, type HfClientOptions } from "../providers/index.ts";
import { runTick, type TickLogEntry, type TickReport } from "../tick/index.ts";

/** What the runtime reads from the environment: the HF API, its token, the alert channels' secrets, and any other secret. */
export interface RuntimeEnv extends NotifySecrets {
  HF_API_BASE?: string;
  /** the Hub (billing usage, policy billing.reconcile); https://huggingface.co when unset */
  HF_HUB_BASE?: string;
  HF_TOKEN?: string;
}

export interface Config {
  policy: PolicyResult;
  /** where the policy came from, for /v1/status */
  policySource: string;
  problems: PolicyIssue[];
  /** problems that do not stop the tick (e.g. a gateway service's missing secret) */
  warnings: PolicyIssue[];
}

/** The configuration of a parsed policy in this environment: what is missing stops the tick; the rest are warnings. */
export function configOf<S extends string>(env: RuntimeEnv, policy: PolicyResult, policySource: S): Config & { policySource: S } {
  const problems: PolicyIssue[] = [];
  if (!env.HF_TOKEN) {
    problems.push({ path: "secret HF_TOKEN", message: "not set: run `wrangler secret put HF_TOKEN` (or put it in .dev.vars locally)" });
  }
  const vars = env as unknown as Record<string, unknown>;
  const warnings = policy.ok
    ? [
        ...gatewaySecretProblems(policy.policy.services, (name) => typeof vars[name] === "string" && vars[name] !== ""),
        ...fallbackWarnings(policy.policy),
      ]
    : [];
  if (!env.HF_API_BASE)
    problems.push({ path: "var HF_API_BASE", message: "not set: it should be https://api.endpoints.huggingface.cloud" });
  return { policy, policySource, problems, warnings };
}

export interface Runtime<C extends Config = Config> {
  config: C;
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

export interface RuntimeOptions {
  clock?: () => number;
  /** the isolate HF client's transport (the simulator counts requests by kind); the global fetch otherwise */
  fetch?: typeof fetch;
  /** the HF client's clock for its price cache (the simulator's virtual time); the wall clock otherwise */
  hfNow?: () => number;
  /** the Hub's base URL when not the environment's (the simulator's emulator serves the Hub's billing routes too) */
  hubBaseUrl?: string;
}

/** The Endpoints API and the Hub (billing usage) this environment talks to. */
function bases(env: RuntimeEnv, options: RuntimeOptions): Pick<HfClientOptions, "baseUrl" | "hubBaseUrl"> {
  const hub = options.hubBaseUrl ?? env.HF_HUB_BASE;
  return { baseUrl: env.HF_API_BASE ?? "", ...(hub ? { hubBaseUrl: hub } : {}) };
}

// One client per isolate (per API base and token), so the price catalog cache survives between ticks.
let client: { key: string; hf: HfClient; count: { n: number } } | undefined;

function isolateClient(env: RuntimeEnv, options: RuntimeOptions) {
  const key = `${env.HF_API_BASE}\n${options.hubBaseUrl ?? env.HF_HUB_BASE ?? ""}\n${env.HF_TOKEN ?? ""}`;
  if (client?.key !== key) {
    const count = { n: 0 };
    const transport = options.fetch ?? ((input, init) => fetch(input, init));
    const counting: typeof fetch = (input, init) => {
      count.n++;
      return transport(input, init);
    };
    const hf = new HfClient({
      ...bases(env, options),
      token: env.HF_TOKEN ?? "",
      fetch: counting,
      ...(options.hfNow ? { now: options.hfNow } : {}),
    });
    client = { key, count, hf };
  }
  return client;
}

/** The secrets a message must never carry: every string the environment holds under a secret-like name. */
function secretsOf(env: RuntimeEnv): string[] {
  return Object.entries(env).flatMap(([k, v]) => (typeof v === "string" && /TOKEN|SECRET|KEY|WEBHOOK|PASSWORD/.test(k) ? [v] : []));
}

/** The runtime of this isolate for this environment and configuration. */
export function createRuntime<C extends Config>(env: RuntimeEnv, config: C, options: RuntimeOptions = {}): Runtime<C> {
  const provider = isolateClient(env, options);
  return {
    config,
    provider: provider.hf,
    requests: provider.count,
    hfClient: (o) => new HfClient({ ...bases(env, options), token: env.HF_TOKEN ?? "", ...o }),
    notifier: (log) =>
      createNotifier({
        secrets: env,
        // Every secret this Worker holds (HF_TOKEN, READ_TOKEN, signing secrets, ...), not only the alert channels'.
        alsoSecret: secretsOf(env),
        onRequest: () => provider.count.n++,
        log,
      }),
    clock: options.clock ?? (() => Date.now()),
  };
}

export interface GuardTick {
  db: D1Database;
  /** the tick's time: the cron's scheduled time, or the simulator's virtual minute */
  now: number;
  /** unique id of this tick for the lease */
  holder: string;
  log: (entry: TickLogEntry | NotifyLogEntry) => void;
}

/** One guard tick on the runtime, as the cron runs it: its policy and problems, its HF client, its notifier. */
export async function runGuardTick(runtime: Runtime, tick: GuardTick): Promise<TickReport> {
  const { config, provider, requests } = runtime;
  const startCount = requests.n;
  return runTick({
    db: tick.db,
    provider,
    policy: config.policy,
    problems: config.problems,
    now: tick.now,
    clock: runtime.clock,
    holder: tick.holder,
    log: tick.log,
    subrequests: () => requests.n - startCount,
    notifier: runtime.notifier(tick.log),
  });
}
