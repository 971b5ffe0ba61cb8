// Demand curves the built-in scenarios are drawn from: one number per minute of a budget day.
// Deterministic (a seeded generator), so a scenario gives the same trace and outcome every run.

export const DAY_MINUTES = 1440;

/** mulberry32: a small seeded generator in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A day of traffic between `low` (at night) and `high` (at `peakHour`), a smooth cosine. */
export function diurnal(low: number, high: number, peakHour = 15): number[] {
  return Array.from({ length: DAY_MINUTES }, (_, m) => {
    const phase = ((m / 60 - peakHour) / 24) * 2 * Math.PI;
    return low + ((high - low) * (1 + Math.cos(phase))) / 2;
  });
}

/** `rps` for `length` minutes every `every` minutes (from `offset`), 0 in between. */
export function bursts(rps: number, every: number, length: number, offset = 0): number[] {
  return Array.from({ length: DAY_MINUTES }, (_, m) =>
    (m - offset) % every >= 0 && (m - offset) % every < length && m >= offset ? rps : 0,
  );
}

/** Multiplies the minutes in [fromHour, toHour) by `factor`. */
export function surge(series: number[], factor: number, fromHour: number, toHour = 24): number[] {
  return series.map((v, m) => (m >= fromHour * 60 && m < toHour * 60 ? v * factor : v));
}

/** Adds `add` rps to the minutes in [fromHour, toHour). */
export function plus(series: number[], add: number, fromHour: number, toHour = 24): number[] {
  return series.map((v, m) => (m >= fromHour * 60 && m < toHour * 60 ? v + add : v));
}

/** ±`share` multiplicative noise, rounded to 0.01 rps so the trace stays readable. */
export function jitter(series: number[], share: number, random: () => number): number[] {
  return series.map((v) => Math.max(0, Math.round(v * (1 + share * (2 * random() - 1)) * 100) / 100));
}
