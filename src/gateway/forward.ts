// Forwarding one request to one upstream: the URL, the headers that pass (not hop-by-hop ones,
// not the caller's gateway key, not Cloudflare's own), a deadline for the response headers, and
// the response handed back with its body stream untouched.
import type { Failure } from "./counters.ts";

/** RFC 9110 §7.6.1 connection-specific fields, plus the proxy ones from RFC 2616 §13.5.1. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function dropHopByHop(headers: Headers): void {
  const listed = (headers.get("connection") ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const name of [...HOP_BY_HOP, ...listed]) headers.delete(name);
}

/** `base` + the path after /v1/gateway/{service} ("" or starting with "/") + the query, without doubling a slash. */
export function upstreamUrl(base: string, rest: string, search: string): string {
  return `${base.endsWith("/") ? base.slice(0, -1) : base}${rest}${search}`;
}

/** The status page's login cookie (handlers/http/auth.ts READ_COOKIE); it holds READ_TOKEN. */
const READ_COOKIE = "guardrail_read";

/** The Cookie header less our read cookie; null when nothing else is left. */
function withoutReadCookie(cookie: string): string | null {
  const kept = cookie
    .split(";")
    .map((c) => c.trim())
    .filter((c) => c.length > 0 && c.split("=", 1)[0]?.trim() !== READ_COOKIE);
  return kept.length > 0 ? kept.join("; ") : null;
}

/**
 * Headers sent upstream: the caller's, less hop-by-hop fields (and those `Connection` names),
 * Host, Authorization (the caller's key), cf-*, our read cookie and any header whose value carries
 * one of `withheld` (our secrets: the read token, the service's caller keys); with the target's token.
 */
export function upstreamHeaders(incoming: Headers, token: string | null, withheld: readonly string[] = []): Headers {
  const h = new Headers(incoming);
  dropHopByHop(h);
  h.delete("host");
  h.delete("authorization");
  h.delete("content-length"); // the runtime sets it from the body it sends
  const cookie = h.get("cookie");
  if (cookie !== null) {
    const kept = withoutReadCookie(cookie);
    if (kept === null) h.delete("cookie");
    else h.set("cookie", kept);
  }
  for (const [name, value] of [...h]) {
    if (name.startsWith("cf-") || withheld.some((s) => s.length > 0 && value.includes(s))) h.delete(name);
  }
  if (token !== null) h.set("authorization", `Bearer ${token}`);
  return h;
}

/** Headers returned to the caller: the upstream's less hop-by-hop fields, plus ours. */
export function downstreamHeaders(upstream: Headers, extra: Record<string, string>): Headers {
  const h = new Headers(upstream);
  dropHopByHop(h);
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return h;
}

export type SendResult = { ok: true; response: Response } | { ok: false; failure: Failure; message: string };

/**
 * Sends and waits for the response headers at most `timeoutMs`. The deadline stops at the headers:
 * a long streamed body is not cut off. Expected failures (deadline, network) are values.
 *
 * No AbortSignal goes to fetch: in workerd a signal on the request stays on the response body and
 * cost about 4 ms on a streamed answer of 17 chunks (docs/benchmarks.md). A request past its
 * deadline is left to answer, and its body is cancelled the moment its headers come, which closes
 * the upstream connection.
 */
export async function send(
  fetcher: typeof fetch,
  url: string,
  init: { method: string; headers: Headers; body: BodyInit | null },
  timeoutMs: number,
): Promise<SendResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const answer = fetcher(url, { ...init, redirect: "manual" });
  try {
    const first = await Promise.race([answer, deadline]);
    if (first !== "timeout") return { ok: true, response: first };
    answer.then((late) => late.body?.cancel().catch(() => undefined)).catch(() => undefined);
    return { ok: false, failure: "timeout", message: `no response headers within ${timeoutMs} ms` };
  } catch (err) {
    return { ok: false, failure: "network", message: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
