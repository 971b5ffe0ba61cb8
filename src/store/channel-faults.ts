// Channels found misconfigured: a permanent failure (Slack 403/404/410, an SNS sender fault) stops
// sends to that target until its configuration changes, but for one try an hour (src/notify/outbox.ts).
// The target is kept only as a hash (a Slack webhook URL is a secret).
import { guardedEventsStatement, type NewEvent } from "./events.ts";
import type { Channel } from "./outbox.ts";

export interface ChannelFault {
  channel: Channel;
  targetHash: string;
  error: string;
  since: number;
  /** when a send to it was last tried and failed the same way (null: not since `since`) */
  triedAt?: number | null;
}

export async function loadChannelFaults(db: D1Database): Promise<ChannelFault[]> {
  const { results } = await db
    .prepare("SELECT channel, target_hash, error, since, tried_at FROM channel_faults")
    .all<{ channel: Channel; target_hash: string; error: string; since: number; tried_at: number | null }>();
  return results.map((r) => ({ channel: r.channel, targetHash: r.target_hash, error: r.error, since: r.since, triedAt: r.tried_at }));
}

/**
 * Marks the channel misconfigured, fails its pending deliveries at once (they cannot succeed) and records
 * `alert` (channel_misconfigured), in one batch: the alert lands with the mark or neither does (nothing
 * would raise it later). Returns false when the channel was already marked for this target (nothing new
 * to announce, no alert written): a later try that failed again, whose time is kept (`tried_at`) so the
 * next try waits its turn.
 */
export async function markChannelFault(db: D1Database, f: ChannelFault, now: number, alert: NewEvent): Promise<boolean> {
  const [inserted] = await db.batch([
    db
      .prepare(
        `INSERT INTO channel_faults (channel, target_hash, error, since) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (channel) DO UPDATE SET target_hash = excluded.target_hash, error = excluded.error, since = excluded.since, tried_at = NULL
         WHERE channel_faults.target_hash IS NOT excluded.target_hash`,
      )
      .bind(f.channel, f.targetHash, f.error, f.since),
    db
      .prepare("UPDATE channel_faults SET tried_at = ?3, error = ?4 WHERE channel = ?1 AND target_hash = ?2 AND since < ?3")
      .bind(f.channel, f.targetHash, f.since, f.error),
    db
      .prepare(`UPDATE deliveries SET status = 'failed', error = ?2, updated_at = ?3 WHERE channel = ?1 AND status IN ('pending', 'held')`)
      .bind(f.channel, `not sent: ${f.error}`, now),
    // Only for a mark this batch made (a fault already marked for this target keeps its own `since`).
    guardedEventsStatement(db, [alert], "EXISTS (SELECT 1 FROM channel_faults WHERE channel = ?2 AND target_hash = ?3 AND since = ?4)", [
      f.channel,
      f.targetHash,
      f.since,
    ]),
  ]);
  return (inserted?.meta.changes ?? 0) > 0;
}

/** Forgets a fault once the channel's target changed (a person fixed the configuration). */
export async function clearChannelFault(db: D1Database, channel: Channel): Promise<void> {
  await db.prepare("DELETE FROM channel_faults WHERE channel = ?1").bind(channel).run();
}
