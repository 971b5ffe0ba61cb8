// Parses policy text (YAML or JSON) and validates it; every error carries its path and, for
// enums, the allowed values, so `npm run check` and /v1/status can say exactly what to fix.
import { parseDocument } from "yaml";
import type * as z from "zod";
import { serviceFallbackOf } from "./gateway.ts";
import { type EndpointSettings, type Policy, policySchema } from "./schema.ts";

export interface PolicyIssue {
  /** dotted path into the policy, e.g. `budget.daily_usd` or `endpoints["acme/llm"].critical` */
  path: string;
  message: string;
  /** allowed values when the field is an enum or literal */
  allowed?: string[];
}

export type PolicyResult = { ok: true; policy: Policy } | { ok: false; issues: PolicyIssue[] };

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || "(root)";
}

function toIssue(issue: z.core.$ZodIssue): PolicyIssue {
  const out: PolicyIssue = { path: formatPath(issue.path), message: issue.message };
  if (issue.code === "invalid_value") out.allowed = issue.values.map((v) => String(v));
  if (issue.code === "unrecognized_keys") out.message = `unknown key(s): ${issue.keys.join(", ")}`;
  return out;
}

export function parsePolicy(text: string): PolicyResult {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? "?"}`, message: e.message.split("\n")[0] ?? e.message })),
    };
  }
  return validatePolicy(doc.toJS());
}

export function validatePolicy(value: unknown): PolicyResult {
  const parsed = policySchema.safeParse(value ?? {});
  if (parsed.success) return { ok: true, policy: parsed.data };
  return { ok: false, issues: parsed.error.issues.map(toIssue) };
}

const NO_SETTINGS: EndpointSettings = { critical: false, fallback: null, expected_max_replicas: null };

/**
 * Settings for `namespace/name`: the endpoint's own entry over `defaults` over built-in defaults.
 * The fallback is where a reroute really sends traffic: the fallback of the gateway service that
 * follows the endpoint, or none when no service carries its traffic (a fallback named only under
 * `endpoints:` moves nothing; fallbackWarnings says so). `fallback: null` opts an endpoint out.
 */
export function settingsFor(policy: Policy, id: string): EndpointSettings {
  const d = policy.endpoints.defaults ?? {};
  const e = policy.endpoints[id] ?? {};
  const optedOut = e.fallback === null || (e.fallback === undefined && d.fallback === null);
  return {
    critical: e.critical ?? d.critical ?? NO_SETTINGS.critical,
    fallback: optedOut ? null : serviceFallbackOf(policy.services, id),
    expected_max_replicas: e.expected_max_replicas !== undefined ? e.expected_max_replicas : (d.expected_max_replicas ?? null),
  };
}

/** A fallback named under `endpoints:` that no gateway service carries, or not the one the service sends to. */
export function declaredFallbackProblem(policy: Policy, id: string): string | null {
  const declared = policy.endpoints[id]?.fallback;
  if (typeof declared !== "string") return null;
  const carried = serviceFallbackOf(policy.services, id);
  if (carried === null) {
    return (
      `fallback ${declared} moves no traffic: no gateway service follows ${id}, so the reroute rung cannot switch it. ` +
      `Declare a service under \`services:\` with primary ${id} and fallback ${declared}, and send callers through /v1/gateway/<service>/`
    );
  }
  if (carried !== declared) return `the gateway sends ${id}'s overflow to its service's fallback ${carried}; ${declared} is ignored`;
  return null;
}

/** APIs known to bill per token (HF Inference Providers, OpenAI): a target there without `pricing` is warned about. */
const TOKEN_PRICED_HOSTS = ["https://router.huggingface.co", "https://api.openai.com"];

/** Warnings (not errors) about fallbacks, for `npm run check`, /v1/status and the status page. */
export function fallbackWarnings(policy: Policy): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const id of Object.keys(policy.endpoints)) {
    const message = id === "defaults" ? null : declaredFallbackProblem(policy, id);
    if (message) out.push({ path: `endpoints.${id}.fallback`, message });
  }
  for (const [name, svc] of Object.entries(policy.services)) {
    for (const role of ["primary", "fallback"] as const) {
      const t = svc[role];
      if (t.pricing === null && TOKEN_PRICED_HOSTS.some((h) => t.target.startsWith(h))) {
        out.push({
          path: `services.${name}.${role}.pricing`,
          message: `${t.target} bills per token but has no pricing: its answers are counted unpriced and their dollars are missing from today's budget`,
        });
      }
    }
  }
  if (typeof policy.endpoints.defaults?.fallback === "string") {
    out.push({
      path: "endpoints.defaults.fallback",
      message: "a default fallback moves no traffic: the reroute rung follows gateway services (`services:`), each with its own fallback",
    });
  }
  return out;
}
