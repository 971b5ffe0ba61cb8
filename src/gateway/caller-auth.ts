// Callers of a gateway service authenticate with `Authorization: Bearer <key>`, where the key is
// the value of one of the secrets the service lists in `callers` (src/security/bearer.ts compares
// them in constant time, against every listed key).
import { bearerToken, matchesAnySecret } from "../security/index.ts";

/** The key a caller presented (`Authorization: Bearer <key>`), or null. */
export const presentedKey = bearerToken;

/** Whether `presented` equals one of `keys` (the secrets' values; unset ones are skipped by the caller). */
export const callerAllowed = (presented: string | null, keys: readonly string[]): Promise<boolean> => matchesAnySecret(presented, keys);
