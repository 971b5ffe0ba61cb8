// Reads the deployment's configuration from the environment: the policy (bundled guardrail.yaml,
// or GUARDRAIL_POLICY when set) and the secrets it needs (src/runtime's configOf). Problems are
// values, reported by the tick and /v1/status, never thrown.
import bundledPolicy from "../guardrail.yaml";
import { type PolicyResult, parsePolicy } from "../src/policy/index.ts";
import { configOf, type Config as RuntimeConfig } from "../src/runtime/index.ts";

export type Config = RuntimeConfig & { policySource: "bundled guardrail.yaml" | "GUARDRAIL_POLICY variable" };

let cached: { text: string; result: PolicyResult } | undefined;

export function loadConfig(env: Cloudflare.Env): Config {
  const fromVar = Boolean(env.GUARDRAIL_POLICY?.trim());
  const text = fromVar ? (env.GUARDRAIL_POLICY as string) : bundledPolicy;
  if (cached?.text !== text) cached = { text, result: parsePolicy(text) };
  return configOf(env, cached.result, fromVar ? "GUARDRAIL_POLICY variable" : "bundled guardrail.yaml");
}
