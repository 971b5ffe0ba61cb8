// HMAC-SHA256 with WebCrypto (the same code runs in workerd and Node). Verification goes through
// crypto.subtle.verify, which compares in constant time, so no secret-dependent early exit.
const utf8 = new TextEncoder();

export type SignatureFailure = "missing" | "malformed" | "stale" | "mismatch";

/** Expected failures are values: the route turns any of them into a 401. */
export type SignatureCheck = { ok: true; timestamp: number; signature: string } | { ok: false; reason: SignatureFailure; message: string };

export const fail = (reason: SignatureFailure, message: string): SignatureCheck => ({ ok: false, reason, message });

function key(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key(secret, "sign"), utf8.encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** 64 hex digits (either case) to 32 bytes; null for anything else. */
export function sha256HexToBytes(hex: string): Uint8Array | null {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** True when `mac` is the HMAC-SHA256 of `message` under `secret`. */
export async function verifyHmacSha256(secret: string, message: string, mac: Uint8Array): Promise<boolean> {
  return crypto.subtle.verify("HMAC", await key(secret, "verify"), mac, utf8.encode(message));
}

/** |now - t| within the window (inclusive), so clocks that drift a little either way still work. */
export const withinWindow = (t: number, nowSeconds: number, toleranceSeconds: number): boolean =>
  Math.abs(nowSeconds - t) <= toleranceSeconds;
