// The routing state cached in the isolate: route modes, each endpoint's last observed state and
// URL, and every isolate's recent primary counters, read from D1 in one round trip.
// A snapshot younger than `ttlMs` is used as is; an older one is still used while a refresh runs
// in the background, up to `maxStaleMs`; past that a request waits for the refresh.
import { type GatewayRoutingRows, loadGatewayRouting } from "../store/index.ts";

export interface RoutingSnapshot extends GatewayRoutingRows {
  loadedAt: number;
}

export interface RoutingStateOptions {
  clock: () => number;
  ttlMs: number;
  maxStaleMs: number;
  /** how far back the recent counters go (the longest overflow window of any service) */
  windowMs: number;
  load?: (db: D1Database, sinceMs: number) => Promise<GatewayRoutingRows>;
}

export class RoutingState {
  private snapshot: RoutingSnapshot | undefined;
  private refreshing: Promise<RoutingSnapshot> | undefined;
  private readonly load: (db: D1Database, sinceMs: number) => Promise<GatewayRoutingRows>;

  constructor(private readonly o: RoutingStateOptions) {
    this.load = o.load ?? loadGatewayRouting;
  }

  async get(db: D1Database, waitUntil: (p: Promise<unknown>) => void, windowMs = this.o.windowMs): Promise<RoutingSnapshot> {
    const now = this.o.clock();
    const snap = this.snapshot;
    if (snap && now - snap.loadedAt < this.o.ttlMs) return snap;
    if (snap && now - snap.loadedAt < this.o.maxStaleMs) {
      waitUntil(this.refresh(db, windowMs).catch(() => undefined));
      return snap;
    }
    return this.refresh(db, windowMs);
  }

  /** One refresh at a time; concurrent callers share it. */
  private refresh(db: D1Database, windowMs: number): Promise<RoutingSnapshot> {
    this.refreshing ??= (async () => {
      try {
        const startedAt = this.o.clock();
        const rows = await this.load(db, startedAt - windowMs);
        const snap = { ...rows, loadedAt: startedAt };
        this.snapshot = snap;
        return snap;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
