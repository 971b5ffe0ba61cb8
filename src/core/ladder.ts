// The budget ladder: ratio of today's spend to the daily budget -> level 0..3.
import type { Policy } from "../policy/index.ts";
import { LEVEL_NAMES, type Level, type LevelName } from "./types.ts";

export function levelFor(ratio: number, thresholds: Policy["thresholds"]): Level {
  if (ratio >= thresholds.shutdown) return 3;
  if (ratio >= thresholds.reroute) return 2;
  if (ratio >= thresholds.scale_down) return 1;
  return 0;
}

export const levelName = (level: Level): LevelName => LEVEL_NAMES[level];

export function thresholdOf(level: Exclude<Level, 0>, thresholds: Policy["thresholds"]): number {
  return level === 1 ? thresholds.scale_down : level === 2 ? thresholds.reroute : thresholds.shutdown;
}
