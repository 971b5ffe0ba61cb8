// Slack's request signing (v0): X-Slack-Signature = "v0=" + hex HMAC-SHA256 of
// "v0:<X-Slack-Request-Timestamp>:<raw body>" with the app's signing secret; requests more than
// five minutes from the server's clock are refused (Slack's own SDKs do the same).
import { fail, hmacSha256Hex, type SignatureCheck, sha256HexToBytes, verifyHmacSha256, withinWindow } from "./hmac.ts";

export const SLACK_TOLERANCE_SECONDS = 300;

export interface SlackSignatureInput {
  secret: string;
  /** X-Slack-Request-Timestamp */
  timestamp: string | null | undefined;
  /** X-Slack-Signature */
  signature: string | null | undefined;
  /** the raw body exactly as received; a missing body counts as empty */
  body: string | null | undefined;
  nowSeconds: number;
}

export async function verifySlackSignature({
  secret,
  timestamp,
  signature,
  body,
  nowSeconds,
}: SlackSignatureInput): Promise<SignatureCheck> {
  if (!timestamp) return fail("missing", "missing X-Slack-Request-Timestamp header");
  if (!signature) return fail("missing", "missing X-Slack-Signature header");
  const mac = signature.startsWith("v0=") ? sha256HexToBytes(signature.slice(3)) : null;
  if (!/^\d{1,12}$/.test(timestamp) || mac === null) return fail("malformed", "X-Slack-Signature must be v0=<64 hex digits>");
  const t = Number(timestamp);
  if (!withinWindow(t, nowSeconds, SLACK_TOLERANCE_SECONDS)) {
    return fail("stale", `request timestamp is more than ${SLACK_TOLERANCE_SECONDS} s away from the server's clock`);
  }
  if (!(await verifyHmacSha256(secret, `v0:${timestamp}:${body ?? ""}`, mac))) return fail("mismatch", "signature does not match the body");
  return { ok: true, timestamp: t, signature: signature.slice(3).toLowerCase() };
}

/** What Slack would send, for tests and local tools. */
export async function signSlack(secret: string, body: string, nowSeconds: number): Promise<{ timestamp: string; signature: string }> {
  const timestamp = String(Math.floor(nowSeconds));
  return { timestamp, signature: `v0=${await hmacSha256Hex(secret, `v0:${timestamp}:${body}`)}` };
}
