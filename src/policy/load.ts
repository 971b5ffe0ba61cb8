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
 * An endpoint a gateway service follows has that service's fallback unless its own entry names one,
 * so the reroute rung switches the service to overflow.
 */
export function settingsFor(policy: Policy, id: string): EndpointSettings {
  const d = policy.endpoints.defaults ?? {};
  const e = policy.endpoints[id] ?? {};
  return {
    critical: e.critical ?? d.critical ?? NO_SETTINGS.critical,
    fallback: e.fallback !== undefined ? e.fallback : (serviceFallbackOf(policy.services, id) ?? d.fallback ?? NO_SETTINGS.fallback),
    expected_max_replicas: e.expected_max_replicas !== undefined ? e.expected_max_replicas : (d.expected_max_replicas ?? null),
  };
}
