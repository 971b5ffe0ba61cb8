// Policy of the inference gateway: the services callers reach under /v1/gateway/{service}/...,
// where each one's primary and fallback live, which secrets hold their credentials and the
// callers' API keys, and the limits past which overflow goes to the fallback.
// Only secret NAMES appear here; values come from Worker secrets at request time.
import * as z from "zod";
import { ENDPOINT_KEY } from "./primitives.ts";

/** A Worker secret or variable name, e.g. HF_TOKEN or SUMMARIZE_CALLER_KEY. */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A service name as it appears in the URL path. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** `ns/name`, an https URL, or (for local development and tests) an http URL on loopback. */
export function isTargetRef(value: string): boolean {
  if (ENDPOINT_KEY.test(value)) return true;
  try {
    const url = new URL(value);
    if (url.username || url.password || url.hash) return false;
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
  } catch {
    return false;
  }
}

const secretName = z.string().regex(SECRET_NAME, "a secret name (letters, digits, _), not a secret value");

const tokenPriceSchema = z
  .object({
    input_usd_per_million: z.number().min(0).describe("USD per million prompt (input) tokens"),
    output_usd_per_million: z.number().min(0).describe("USD per million completion (output) tokens"),
  })
  .strict();

const pricingSchema = z
  .object({
    input_usd_per_million: z.number().min(0).nullable().default(null).describe("default USD per million input tokens"),
    output_usd_per_million: z.number().min(0).nullable().default(null).describe("default USD per million output tokens"),
    models: z
      .record(z.string().min(1), tokenPriceSchema)
      .default({})
      .describe("per-model prices, keyed by the `model` the answer names (e.g. meta-llama/Llama-3.1-8B-Instruct:cerebras)"),
    published_prices: z
      .string()
      .refine((v) => !ENDPOINT_KEY.test(v) && isTargetRef(v), { message: "an https URL (plain http only on loopback)" })
      .nullable()
      .default(null)
      .describe(
        "a price list in the shape of the HF router's model list (https://router.huggingface.co/v1/models): models it lists are priced at the listed provider's rates unless `models` names them; read at most hourly; null: not read",
      ),
  })
  .strict()
  .refine((p) => (p.input_usd_per_million === null) === (p.output_usd_per_million === null), {
    message: "set both input_usd_per_million and output_usd_per_million, or neither (then only `models` are priced)",
  });

const targetSchema = z
  .object({
    target: z
      .string()
      .refine(isTargetRef, {
        message: "an endpoint `namespace/name` (its URL comes from the last observation) or an https URL",
      })
      .describe(
        "an endpoint `namespace/name` (URL from the last observation) or an https URL (plain http only on loopback), e.g. https://router.huggingface.co for HF Inference Providers",
      ),
    token: secretName
      .nullable()
      .default(null)
      .describe("name of the secret sent upstream as `Authorization: Bearer <value>`; null sends no credentials"),
    pricing: pricingSchema
      .nullable()
      .default(null)
      .describe(
        "a token-priced target (HF Inference Providers, OpenAI-compatible APIs): each answer's `usage` is priced and added to today's spend",
      ),
  })
  .strict();

const overflowSchema = z
  .object({
    on_status: z
      .array(z.number().int().min(400).max(599))
      .default([429, 502, 503, 504])
      .describe("primary status codes that send the request to the fallback (503 includes HF's cold-start answer)"),
    primary_timeout_ms: z
      .number()
      .int()
      .min(1)
      .default(10_000)
      .describe("in overflow mode, how long to wait for the primary's response headers before trying the fallback"),
    max_queue: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe("requests waiting for the primary's response headers (in this isolate) at which new ones go to the fallback"),
    max_error_rate: z
      .number()
      .gt(0)
      .max(1)
      .nullable()
      .default(null)
      .describe("share of the primary's recent requests that failed (5xx, 429, timeouts) at which new ones go to the fallback"),
    window_seconds: z.number().int().min(10).max(3600).default(60).describe("how far back the error rate looks"),
    min_requests: z.number().int().min(1).default(20).describe("fewer recent requests than this never count as an error rate"),
    replay_limit_bytes: z
      .number()
      .int()
      .min(0)
      .max(16 * 1024 * 1024)
      .default(1024 * 1024)
      .describe(
        "request bodies up to this size are kept to resend to the fallback; larger ones go to the primary only and cannot overflow",
      ),
  })
  .strict();

const serviceBudgetSchema = z
  .object({
    on_exhausted: z
      .enum(["refuse", "allow"])
      .default("refuse")
      .describe(
        "at the shutdown level or past daily_cap_usd, token-priced requests of this service get 429 budget_exhausted (refuse) or pass (allow: a critical service)",
      ),
    daily_cap_usd: z
      .number()
      .positive()
      .nullable()
      .default(null)
      .describe("this service's token-priced spend per budget day past which its requests are refused; null: no cap of its own"),
    retry_after_seconds: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe("the Retry-After of a budget_exhausted answer; null: until the budget day ends"),
  })
  .strict();

type OverflowInput = z.input<typeof overflowSchema>;
const OVERFLOW_DEFAULTS: OverflowInput = {};

export const serviceSchema = z
  .object({
    primary: targetSchema.describe("where requests go normally"),
    fallback: targetSchema.describe("the cheaper target: another HF endpoint, HF Inference Providers, or any https URL"),
    endpoint: z
      .string()
      .regex(ENDPOINT_KEY, "an endpoint `namespace/name`")
      .nullable()
      .default(null)
      .describe(
        "the guarded endpoint whose routing mode (set by the reroute rung) this service follows; default: the primary endpoint (a URL primary without it is always in primary mode)",
      ),
    callers: z
      .array(secretName)
      .min(1, "list at least one secret name holding a caller API key")
      .describe("names of secrets holding the API keys callers send as `Authorization: Bearer <key>`"),
    timeout_ms: z
      .number()
      .int()
      .min(1)
      .default(120_000)
      .describe(
        "how long to wait for response headers from the chosen target (and from the fallback after an overflow); streamed bodies are not cut off",
      ),
    overflow: overflowSchema.default(() => overflowSchema.parse(OVERFLOW_DEFAULTS)),
    budget: serviceBudgetSchema.default(() => serviceBudgetSchema.parse({})),
  })
  .strict();

export const servicesSchema = z
  .record(z.string().regex(SERVICE_NAME, "service names are lowercase letters, digits, - and _"), serviceSchema)
  .default({})
  .describe(
    "inference gateway services, keyed by the name callers use in /v1/gateway/{service}/... (lowercase letters, digits, - and _); docs/gateway.md",
  );

export type ServiceConfig = z.infer<typeof serviceSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;
export type OverflowLimits = z.infer<typeof overflowSchema>;
export type TargetPricing = z.infer<typeof pricingSchema>;
export type TokenPrice = z.infer<typeof tokenPriceSchema>;
export type ServiceBudget = z.infer<typeof serviceBudgetSchema>;

/** How a target is labelled in the gateway's counters: `ns/name`, or the URL's origin and path. */
export function targetLabel(target: string): string {
  if (ENDPOINT_KEY.test(target)) return target;
  const u = new URL(target);
  return `${u.origin}${u.pathname === "/" ? "" : u.pathname}`;
}

/**
 * The counter labels of the traffic that flows to each guarded endpoint through the gateway: a
 * service's primary (an endpoint, or a URL when the service follows an endpoint) and its fallback endpoint.
 */
export function gatewayTrafficLabels(services: Readonly<Record<string, ServiceConfig>>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (id: string, label: string) => out.set(id, (out.get(id) ?? new Set()).add(label));
  for (const s of Object.values(services)) {
    const routed = routedEndpointOf(s);
    if (routed) add(routed, targetLabel(s.primary.target));
    if (ENDPOINT_KEY.test(s.fallback.target)) add(s.fallback.target, s.fallback.target);
  }
  return out;
}

/** The endpoint whose routing mode a service follows: its own `endpoint`, else its primary when that is an endpoint. */
export function routedEndpointOf(service: ServiceConfig): string | null {
  return service.endpoint ?? (ENDPOINT_KEY.test(service.primary.target) ? service.primary.target : null);
}

/** The first service (name and config) that follows `endpoint`: the one whose traffic a reroute of it moves. */
export function serviceFollowing(
  services: Readonly<Record<string, ServiceConfig>>,
  endpoint: string,
): { name: string; service: ServiceConfig } | null {
  for (const [name, service] of Object.entries(services)) {
    if (routedEndpointOf(service) === endpoint) return { name, service };
  }
  return null;
}

/** The fallback target of the first service that follows `endpoint`, if any. */
export function serviceFallbackOf(services: Readonly<Record<string, ServiceConfig>>, endpoint: string): string | null {
  return serviceFollowing(services, endpoint)?.service.fallback.target ?? null;
}

/** Endpoints (`ns/name`) some service sends overflow to: the capacity the reroute rung relies on. */
export function fallbackEndpoints(services: Readonly<Record<string, ServiceConfig>>): Set<string> {
  const out = new Set<string>();
  for (const s of Object.values(services)) if (ENDPOINT_KEY.test(s.fallback.target)) out.add(s.fallback.target);
  return out;
}

/** Secrets a gateway service names that are not set: reported at the tick and in /v1/status. */
export function gatewaySecretProblems(
  services: Readonly<Record<string, ServiceConfig>>,
  isSet: (name: string) => boolean,
): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  for (const [name, s] of Object.entries(services)) {
    const needed = [...s.callers, s.primary.token, s.fallback.token].filter((n): n is string => n !== null);
    for (const secret of new Set(needed)) {
      if (!isSet(secret)) {
        out.push({
          path: `services.${name}`,
          message: `secret ${secret} is not set: run \`wrangler secret put ${secret}\` (the gateway answers 503 for this service until then)`,
        });
      }
    }
  }
  return out;
}
