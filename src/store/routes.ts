// Routing mode per endpoint (primary | overflow | fallback), set by the reroute action and
// read by the inference gateway.
import type { RouteMode, RouteState } from "../core/index.ts";

export async function loadRoutes(db: D1Database): Promise<Map<string, RouteState>> {
  const { results } = await db
    .prepare("SELECT endpoint, mode, fallback FROM routes")
    .all<{ endpoint: string; mode: RouteMode; fallback: string | null }>();
  return new Map(results.map((r) => [r.endpoint, { mode: r.mode, fallback: r.fallback }]));
}

export async function setRoute(
  db: D1Database,
  endpoint: string,
  mode: RouteMode,
  fallback: string | null,
  reason: string,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO routes (endpoint, mode, fallback, reason, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (endpoint) DO UPDATE SET mode = excluded.mode, fallback = excluded.fallback, reason = excluded.reason,
         updated_at = excluded.updated_at`,
    )
    .bind(endpoint, mode, fallback, reason, now)
    .run();
}
