// What this isolate knows of each primary's health right now: requests waiting for its response
// headers (the queue), and requests and errors per second over the last few minutes. The D1
// counters give the same per minute across all isolates; the gateway takes the worse of the two.

const MAX_WINDOW_S = 3600;

export class PrimaryHealth {
  private queue = new Map<string, number>();
  /** per endpoint: second -> [requests, errors], pruned past the longest window */
  private seconds = new Map<string, Map<number, [number, number]>>();

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
    if (perSecond.size > MAX_WINDOW_S) {
      for (const s of perSecond.keys()) if (s <= sec - MAX_WINDOW_S) perSecond.delete(s);
    }
  }

  /** Requests and errors at the primary in the last `windowS` seconds, as this isolate saw them. */
  recent(endpoint: string, nowMs: number, windowS: number): { requests: number; errors: number } {
    const from = Math.floor(nowMs / 1000) - windowS;
    let requests = 0;
    let errors = 0;
    for (const [s, [r, e]] of this.seconds.get(endpoint) ?? []) {
      if (s > from) {
        requests += r;
        errors += e;
      }
    }
    return { requests, errors };
  }
}

/** The error rate when there were at least `minRequests`, else null. */
export function errorRate(c: { requests: number; errors: number }, minRequests: number): number | null {
  return c.requests >= minRequests && c.requests > 0 ? c.errors / c.requests : null;
}
