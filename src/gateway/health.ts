// What this isolate knows of each primary's health right now: requests waiting for its response
// headers (the queue), and requests and errors per second over the last few minutes. The D1
// counters give the same per minute across all isolates; the gateway takes the worse of the two.

const MAX_WINDOW_S = 3600;
/** How often (in recorded seconds) primaries quiet for longer than the longest window are forgotten. */
const SWEEP_EVERY_S = 60;

export class PrimaryHealth {
  private queue = new Map<string, number>();
  /** per endpoint: second -> [requests, errors], pruned past the longest window */
  private seconds = new Map<string, Map<number, [number, number]>>();
  /** per endpoint: the latest second recorded */
  private latest = new Map<string, number>();
  /** the second from which the next record forgets the primaries no window reaches any more */
  private sweepAt = Number.NEGATIVE_INFINITY;

  /** How many primaries this isolate keeps seconds for. */
  get endpoints(): number {
    return this.seconds.size;
  }

  queued(endpoint: string): number {
    return this.queue.get(endpoint) ?? 0;
  }

  /** Marks a request as waiting for the primary; the returned function marks its headers (or failure) as in. */
  enqueue(endpoint: string): () => void {
    this.queue.set(endpoint, this.queued(endpoint) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = this.queued(endpoint) - 1;
      if (n > 0) this.queue.set(endpoint, n);
      else this.queue.delete(endpoint);
    };
  }

  record(endpoint: string, atMs: number, error: boolean): void {
    const sec = Math.floor(atMs / 1000);
    let perSecond = this.seconds.get(endpoint);
    if (!perSecond) {
      perSecond = new Map();
      this.seconds.set(endpoint, perSecond);
    }
    const cell = perSecond.get(sec) ?? [0, 0];
    cell[0]++;
    if (error) cell[1]++;
    perSecond.set(sec, cell);
    if (sec > (this.latest.get(endpoint) ?? Number.NEGATIVE_INFINITY)) this.latest.set(endpoint, sec);
    if (perSecond.size > MAX_WINDOW_S) {
      for (const s of perSecond.keys()) if (s <= sec - MAX_WINDOW_S) perSecond.delete(s);
    }
    // An endpoint that went away (renamed, deleted, no longer a primary) would keep its seconds for the
    // isolate's life; once its last second is behind every window, nothing it kept can count.
    if (sec >= this.sweepAt) {
      this.sweepAt = sec + SWEEP_EVERY_S;
      for (const [e, last] of this.latest) {
        if (last > sec - MAX_WINDOW_S) continue;
        this.latest.delete(e);
        this.seconds.delete(e);
      }
    }
  }

  /**
   * Requests and errors at the primary in the last `windowS` seconds, as this isolate saw them.
   * Asked on every request: it visits the window's seconds or the kept ones, whichever are fewer
   * (a busy primary keeps up to an hour of seconds; a 60 s window needs 60 of them).
   */
  recent(endpoint: string, nowMs: number, windowS: number): { requests: number; errors: number } {
    const perSecond = this.seconds.get(endpoint);
    const from = Math.floor(nowMs / 1000) - windowS;
    let requests = 0;
    let errors = 0;
    if (!perSecond) return { requests, errors };
    // Seconds after now are kept only when the clock stepped back; they count, as every kept second past `from` does.
    const top = Math.max(from + windowS, this.latest.get(endpoint) ?? from);
    if (top - from <= perSecond.size) {
      for (let s = top; s > from; s--) {
        const cell = perSecond.get(s);
        if (cell) {
          requests += cell[0];
          errors += cell[1];
        }
      }
    } else {
      for (const [s, [r, e]] of perSecond) {
        if (s > from) {
          requests += r;
          errors += e;
        }
      }
    }
    return { requests, errors };
  }
}

/** The error rate when there were at least `minRequests`, else null. */
export function errorRate(c: { requests: number; errors: number }, minRequests: number): number | null {
  return c.requests >= minRequests && c.requests > 0 ? c.errors / c.requests : null;
}
