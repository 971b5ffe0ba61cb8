// Callers of a gateway service authenticate with `Authorization: Bearer <key>`, where the key is
// the value of one of the secrets the service lists in `callers`. Both sides are hashed with
// SHA-256 and compared in constant time against every listed key, so neither the key's length
// nor which key matched leaks through timing.

const encoder = new TextEncoder();
const digestCache = new Map<string, Uint8Array>();

async function sha256(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
}

/** Digests of configured keys are cached per isolate (keyed by the secret value, never logged). */
async function configuredDigest(value: string): Promise<Uint8Array> {
  let d = digestCache.get(value);
  if (!d) {
    d = await sha256(value);
    if (digestCache.size > 256) digestCache.clear();
    digestCache.set(value, d);
  }
  return d;
}

function equalDigests(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** The key a caller presented (`Authorization: Bearer <key>`), or null. */
export function presentedKey(headers: Headers): string | null {
  const auth = headers.get("authorization");
  const m = auth ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth) : null;
  return m?.[1] ?? null;
}

/** Whether `presented` equals one of `keys` (the secrets' values; unset ones are skipped by the caller). */
export async function callerAllowed(presented: string | null, keys: readonly string[]): Promise<boolean> {
  if (presented === null || keys.length === 0) return false;
  const mine = await sha256(presented);
  let ok = false;
  for (const key of keys) {
    // no early exit: every configured key is compared
    if (equalDigests(mine, await configuredDigest(key))) ok = true;
  }
  return ok;
}
