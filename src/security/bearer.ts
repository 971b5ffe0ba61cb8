// Bearer tokens presented by callers (read API, gateway callers), and comparing them with the
// configured secrets in constant time. One place for both, so they parse and compare alike.

/** The token of `Authorization: Bearer <token>`, or null. */
export function bearerToken(headers: Headers): string | null {
  const auth = headers.get("authorization");
  const m = auth ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth) : null;
  return m?.[1] ?? null;
}

const encoder = new TextEncoder();
const sha256 = async (s: string) => new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(s)));

/**
 * SHA-256 of each configured secret, kept for the isolate: the gateway checks a caller key on every
 * request, and hashing the secrets again each time was most of that check's cost. The digests, not
 * promises, are kept, so no request waits on another's work. Bounded, in case secrets rotate often.
 */
const secretDigests = new Map<string, Uint8Array>();
const MAX_SECRET_DIGESTS = 64;

async function secretDigest(secret: string): Promise<Uint8Array> {
  const known = secretDigests.get(secret);
  if (known) return known;
  const digest = await sha256(secret);
  if (secretDigests.size >= MAX_SECRET_DIGESTS) secretDigests.clear();
  secretDigests.set(secret, digest);
  return digest;
}

/** Whether two digests of the same length are equal, looking at every byte. */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * Whether `presented` equals one of `secrets`. Digests are compared, not the strings, so timing
 * reveals neither the secret's content nor its length; every secret is compared (no early exit),
 * so it does not reveal which one matched either. The strings themselves are compared only once
 * their digests matched.
 */
export async function matchesAnySecret(presented: string | null | undefined, secrets: readonly string[]): Promise<boolean> {
  if (!presented) return false;
  const given = await sha256(presented);
  let ok = false;
  for (const secret of secrets) {
    if (secret && sameDigest(given, await secretDigest(secret)) && presented === secret) ok = true;
  }
  return ok;
}
