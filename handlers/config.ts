// Reads the deployment's configuration from the environment: the policy (bundled guardrail.yaml,
// or GUARDRAIL_POLICY when set) and the secrets it needs. Problems are values, reported by the
// tick and /v1/status, never thrown.
import bundledPolicy from "../guardrail.yaml";
import { fallbackWarnings, gatewaySecretProblems, type PolicyIssue, type PolicyResult, parsePolicy } from "../src/policy/index.ts";

export interface Config {
  policy: PolicyResult;
  /** where the policy came from, for /v1/status */
  policySource: "bundled guardrail.yaml" | "GUARDRAIL_POLICY variable";
  problems: PolicyIssue[];
  /** problems that do not stop the tick (e.g. a gateway service's missing secret) */
  warnings: PolicyIssue[];
}

let cached: { text: string; result: PolicyResult } | undefined;

export function loadConfig(env: Cloudflare.Env): Config {
  const text = env.GUARDRAIL_POLICY?.trim() ? env.GUARDRAIL_POLICY : bundledPolicy;
  if (cached?.text !== text) cached = { text, result: parsePolicy(text) };
  const policy = cached.result;
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
  return {
    policy,
    policySource: env.GUARDRAIL_POLICY?.trim() ? "GUARDRAIL_POLICY variable" : "bundled guardrail.yaml",
    problems,
    warnings,
  };
}
