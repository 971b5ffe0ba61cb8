// The ledger's and the history's rows in D1: what the tick writes is what it made of the observation,
// byte for byte, although it goes to D1 as an object inside the rows' JSON rather than a string of JSON.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Counters, Sample } from "../../src/core/index.ts";
import { recordAndLoadHistory, recordMetering } from "../../src/store/index.ts";
import { endpoint } from "../fixtures/builders.ts";

describe("the ledger's rows", () => {
  it("stores an observation's snapshot as the JSON the tick made of it, strings and numbers as written", async () => {
    const o = endpoint({
      namespace: "ledger-json",
      name: "tricky",
      url: 'https://x.example/"quoted"\\back\nline\u2028é😀\u0001',
      updatedBy: "ünïcode",
      tags: ["a\tb", ""],
      // floats whose shortest form a re-rendering would change
      priceMicroPerHour: 0.30000000000000004,
      scaleToZeroTimeout: 1e21,
    });
    const now = Date.UTC(2026, 5, 1, 12);
    await recordMetering(env.DB, now, [{ o, billable: 2 }], []);
    const row = await env.DB.prepare("SELECT snapshot FROM endpoint_state WHERE endpoint = ?1").bind(o.id).first<{ snapshot: string }>();
    expect(row?.snapshot).toBe(JSON.stringify(o));
  });

  it("stores a sample's counters as their JSON, and none as NULL", async () => {
    const at = Date.UTC(2026, 5, 1, 12);
    const sample = (endpointId: string, counters: Counters | null): Sample => ({
      endpoint: endpointId,
      at,
      durationMs: 60_000,
      spendMicro: 10,
      billable: 1,
      coldStart: 0,
      metricsMs: counters ? 60_000 : 0,
      requests: 0,
      errors: 0,
      pending: null,
      p95Ms: null,
      usagePct: null,
      counters,
      starts: 0,
      initializingMs: 0,
      estimated: 0,
    });
    const counters = { 'replica "1"': { requests: 12.5, errors: 0.1 } };
    await recordAndLoadHistory(
      env.DB,
      {
        now: at,
        samples: [sample("ledger-json/with", counters), sample("ledger-json/without", null)],
        blind: { streak: 0, since: null, failedNamespaces: [] },
        sampleRetentionMs: 3 * 3_600_000,
        hourRetentionMs: 9 * 86_400_000,
        lastSampleAt: at - 60_000,
      },
      [],
      [],
    );
    const { results } = await env.DB.prepare(
      "SELECT endpoint, counters FROM samples WHERE endpoint LIKE 'ledger-json/%' ORDER BY endpoint",
    ).all<{
      endpoint: string;
      counters: string | null;
    }>();
    expect(results).toEqual([
      { endpoint: "ledger-json/with", counters: JSON.stringify(counters) },
      { endpoint: "ledger-json/without", counters: null },
    ]);
  });
});
