// Reads the deployment's configuration from the environment: the policy (bundled guardrail.yaml,
// or GUARDRAIL_POLICY when set) and the secrets it needs (src/runtime's configOf). Problems are
// values, reported by the tick and /v1/status, never thrown.
import bundledPolicy from "../guardrail.yaml";
import { type PolicyResult, parsePolicy } from "../src/policy/index.ts";
import { configOf, type Config as RuntimeConfig } from "../src/runtime/index.ts";

export type Config = RuntimeConfig & { policySource: "bundled guardrail.yaml" | "GUARDRAIL_POLICY variable" };

/**
 * The bundled policy is validated while the isolate starts, in its global scope: Cloudflare gives that
 * its own limit (a second, "Worker startup time") apart from each invocation's CPU time (10 ms on
 * Free), so a fresh isolate's first tick does not pay for YAML and zod (docs/benchmarks.md, "Which plan
 * a fleet needs"). GUARDRAIL_POLICY, read from `env`, is parsed at its first use and kept.
 */
let cached: { text: string; result: PolicyResult } = { text: bundledPolicy, result: parsePolicy(bundledPolicy) };
/**
 * The configuration per environment object: workerd hands an isolate's requests the same `env`, so
 * the secrets' checks run once, not on every request (the gateway's hot path reads this).
 */
const configs = new WeakMap<Cloudflare.Env, { result: PolicyResult; config: Config }>();

export function loadConfig(env: Cloudflare.Env): Config {
  const fromVar = Boolean(env.GUARDRAIL_POLICY?.trim());
  const text = fromVar ? (env.GUARDRAIL_POLICY as string) : bundledPolicy;
  if (cached.text !== text) cached = { text, result: parsePolicy(text) };
  const known = configs.get(env);
  if (known?.result === cached.result) return known.config;
  const config = configOf(env, cached.result, fromVar ? "GUARDRAIL_POLICY variable" : "bundled guardrail.yaml");
  configs.set(env, { result: cached.result, config });
  return config;
}
