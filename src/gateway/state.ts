// The routing state cached in the isolate: route modes, each endpoint's last observed state and
// URL, and every isolate's recent primary counters, read from D1 in one round trip.
// A snapshot younger than `ttlMs` is used as is; an older one is still used while one refresh runs
// in the background, up to `maxStaleMs`; past that a request waits for its own refresh.
import { type GatewayRoutingRows, loadGatewayRouting } from "../store/index.ts";

export interface RoutingSnapshot extends GatewayRoutingRows {
  loadedAt: number;
  /** the budget day start its service spend counts from: a snapshot of another day is never used */
  dayStartMs: number;
}

export interface RoutingStateOptions {
  clock: () => number;
  ttlMs: number;
  maxStaleMs: number;
  /** how far back the recent counters go (the longest overflow window of any service) */
  windowMs: number;
  load?: (db: D1Database, sinceMs: number, dayStartMs: number) => Promise<GatewayRoutingRows>;
}

export class RoutingState {
  private snapshot: RoutingSnapshot | undefined;
  /** when the running background refresh started; a refresh lost with its request is retried after maxStaleMs */
  private refreshingSince: number | null = null;
  private readonly load: (db: D1Database, sinceMs: number, dayStartMs: number) => Promise<GatewayRoutingRows>;

  constructor(private readonly o: RoutingStateOptions) {
    this.load = o.load ?? loadGatewayRouting;
  }

  /** `dayStartMs`: the budget day's start, from which each service's spend is summed (0: none asked) */
  async get(db: D1Database, waitUntil: (p: Promise<unknown>) => void, dayStartMs = 0): Promise<RoutingSnapshot> {
    const now = this.o.clock();
    const snap = this.snapshot?.dayStartMs === dayStartMs ? this.snapshot : undefined;
    if (snap && now - snap.loadedAt < this.o.ttlMs) return snap;
    if (snap && now - snap.loadedAt < this.o.maxStaleMs) {
      if (this.refreshingSince === null || now - this.refreshingSince >= this.o.maxStaleMs) {
        this.refreshingSince = now;
        waitUntil(
          this.refresh(db, dayStartMs)
            .catch(() => undefined)
            .finally(() => {
              this.refreshingSince = null;
            }),
        );
      }
      return snap;
    }
    // Each waiting request loads for itself: a promise from another request's I/O must not be
    // awaited here (Workers cancel continuations of a request that has ended).
    return this.refresh(db, dayStartMs);
  }

  private async refresh(db: D1Database, dayStartMs: number): Promise<RoutingSnapshot> {
    const startedAt = this.o.clock();
    const rows = await this.load(db, startedAt - this.o.windowMs, dayStartMs);
    const snap = { ...rows, loadedAt: startedAt, dayStartMs };
    if (!this.snapshot || this.snapshot.loadedAt <= startedAt) this.snapshot = snap;
    return snap;
  }
}
