// The override webhook's signature: header `X-Guardrail-Signature: t=<unix seconds>,v1=<hex>`,
// where hex = HMAC-SHA256("<t>.<raw body>") with OVERRIDE_SIGNING_SECRET. Accepted within five
// minutes either way; the caller refuses a signature it has seen before (replay).
import { fail, hmacSha256Hex, type SignatureCheck, sha256HexToBytes, verifyHmacSha256, withinWindow } from "./hmac.ts";

export const OVERRIDE_SIGNATURE_HEADER = "X-Guardrail-Signature";
export const OVERRIDE_TOLERANCE_SECONDS = 300;

/** The header value for `body` signed at `nowSeconds`. */
export async function signOverride(secret: string, body: string, nowSeconds: number): Promise<string> {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${await hmacSha256Hex(secret, `${t}.${body}`)}`;
}

export interface OverrideSignatureInput {
  secret: string;
  header: string | null | undefined;
  body: string;
  nowSeconds: number;
}

export async function verifyOverrideSignature({ secret, header, body, nowSeconds }: OverrideSignatureInput): Promise<SignatureCheck> {
  if (!header) return fail("missing", `missing ${OVERRIDE_SIGNATURE_HEADER} header`);
  const parts = new Map<string, string>();
  for (const item of header.split(",")) {
    const i = item.indexOf("=");
    if (i > 0) parts.set(item.slice(0, i).trim(), item.slice(i + 1).trim());
  }
  const t = parts.get("t");
  const v1 = parts.get("v1");
  const mac = v1 === undefined ? null : sha256HexToBytes(v1);
  if (t === undefined || !/^\d{1,12}$/.test(t) || v1 === undefined || mac === null) {
    return fail("malformed", `${OVERRIDE_SIGNATURE_HEADER} must be t=<unix seconds>,v1=<64 hex digits>`);
  }
  const timestamp = Number(t);
  if (!withinWindow(timestamp, nowSeconds, OVERRIDE_TOLERANCE_SECONDS)) {
    return fail("stale", `signature timestamp is more than ${OVERRIDE_TOLERANCE_SECONDS} s away from the server's clock`);
  }
  if (!(await verifyHmacSha256(secret, `${t}.${body}`, mac))) return fail("mismatch", "signature does not match the body");
  return { ok: true, timestamp, signature: v1.toLowerCase() };
}
