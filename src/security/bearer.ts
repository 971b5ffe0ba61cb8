// Bearer tokens presented by callers (read API, gateway callers), and comparing them with the
// configured secrets in constant time. One place for both, so they parse and compare alike.
import { timingSafeEqual } from "hono/utils/buffer";

/** The token of `Authorization: Bearer <token>`, or null. */
export function bearerToken(headers: Headers): string | null {
  const auth = headers.get("authorization");
  const m = auth ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth) : null;
  return m?.[1] ?? null;
}

/**
 * Whether `presented` equals one of `secrets`. Hono's timingSafeEqual hashes both sides first, so
 * timing reveals neither the length; every secret is compared (no early exit), so it does not reveal
 * which one matched either.
 */
export async function matchesAnySecret(presented: string | null | undefined, secrets: readonly string[]): Promise<boolean> {
  if (!presented) return false;
  let ok = false;
  for (const secret of secrets) {
    if (secret && (await timingSafeEqual(presented, secret))) ok = true;
  }
  return ok;
}
