/// <reference types="vite/client" />
// The real HfClient, inside workerd, against the HF emulator over real HTTP: routes, parsing, retries and failures.
import { beforeEach, describe, expect, inject, it } from "vitest";
import type { EndpointSpec, Fault, RecordedCall } from "../../src/fakes/index.ts";
import {
  endpointListSchema,
  endpointWithStatusSchema,
  HfClient,
  type HfClientOptions,
  providerCatalogSchema,
  toSnapshot,
} from "../../src/providers/hf/index.ts";

const base = inject("hfBase");
const NS = "hfclient-test";
const TOKEN = "hf_test_token";
/** A whole second, so HTTP dates (second precision) land exactly on it. */
const NOW = Date.UTC(2026, 4, 1, 12, 0, 0);

// The recorded HF payloads in shared/ (beside the repo: `@shared` is resolved in vitest.config.ts, so
// this works from a checkout and from a worktree); new vectors are picked up automatically.
const vectors = import.meta.glob("@shared/vectors/hf/**/*.json", { eager: true, import: "default" });
const vector = (name: string): unknown => Object.entries(vectors).find(([path]) => path.endsWith(`/vectors/hf/${name}`))?.[1];

function endpoint(overrides: Partial<EndpointSpec> = {}): EndpointSpec {
  return { name: "chat", instanceType: "nvidia-l4", instanceSize: "x1", minReplica: 1, maxReplica: 4, replicas: 2, ...overrides };
}

async function admin(path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${base}/_emulator/${NS}/${path}`, {
    method: body === undefined ? "GET" : "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`emulator admin ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

const fleet = (...endpoints: EndpointSpec[]) => admin("reset", { endpoints });
const faults = (...list: Fault[]) => admin("faults", { faults: list });
const calls = async () => ((await admin("calls")) as { calls: RecordedCall[] }).calls;

/** A client on the emulator whose sleeps are recorded instead of waited. */
function client(overrides: Partial<HfClientOptions> = {}) {
  const sleeps: number[] = [];
  const hf = new HfClient({
    baseUrl: base,
    token: TOKEN,
    now: () => NOW,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
  return { hf, sleeps };
}

beforeEach(async () => {
  await fleet(endpoint());
});

describe("recorded HF payloads", () => {
  it("finds the vectors beside the repo", () => {
    expect(Object.keys(vectors).length).toBeGreaterThanOrEqual(10);
  });

  it.each(Object.entries(vectors))("parses %s with the client's schemas", (path, json) => {
    if (path.includes("provider_catalog")) expect(providerCatalogSchema.safeParse(json).error).toBeUndefined();
    else if (path.includes("list_endpoints")) expect(endpointListSchema.safeParse(json).error).toBeUndefined();
    else {
      // The catalog deploy route wraps the created endpoint in {endpoint}.
      const raw = (json as { endpoint?: unknown }).endpoint ?? json;
      expect(endpointWithStatusSchema.safeParse(raw).error).toBeUndefined();
    }
  });

  it("never carries model secrets or env into a snapshot", () => {
    const raw = vector("get_endpoint_running.json");
    const parsed = endpointWithStatusSchema.parse(raw);
    expect(JSON.stringify(parsed)).not.toContain("my-token");
    expect(JSON.stringify(toSnapshot(parsed, NS))).not.toContain("my-token");
  });

  it("maps a create response without compute or provider to nulls and zero replicas", () => {
    const raw = endpointWithStatusSchema.parse(vector("post_create_endpoint_minimal_response.json"));
    expect(toSnapshot(raw, NS)).toMatchObject({
      state: "pending",
      readyReplica: 0,
      targetReplica: 0,
      minReplica: 0,
      maxReplica: 0,
      vendor: null,
      instanceType: null,
      computeId: null,
    });
  });
});

describe("listing endpoints", () => {
  it("follows nextCursor across several pages", async () => {
    await fleet(...Array.from({ length: 7 }, (_, i) => endpoint({ name: `ep-${i}` })));
    const { hf } = client({ pageLimit: 3 });

    const result = await hf.listEndpoints(NS);

    expect(result.ok && result.value.endpoints.map((e) => e.name)).toEqual(["ep-0", "ep-1", "ep-2", "ep-3", "ep-4", "ep-5", "ep-6"]);
    expect(result.ok && result.value.requests).toBe(3);
    const sent = await calls();
    expect(sent.map((c) => c.query.limit)).toEqual(["3", "3", "3"]);
    expect(sent[0]?.query.cursor).toBeUndefined();
    expect(sent[1]?.query.cursor).toEqual(expect.any(String));
  });

  it("stops at an empty page even when it carries a cursor", async () => {
    await faults({ method: "GET", path: `/v2/endpoint/${NS}`, status: 200, body: { items: [], nextCursor: "more" } });
    const { hf } = client();

    const result = await hf.listEndpoints(NS);

    expect(result).toMatchObject({ ok: true, value: { endpoints: [], requests: 1 } });
  });

  it("fails on a cursor loop instead of listing forever", async () => {
    const item = await (await fetch(`${base}/v2/endpoint/${NS}/chat`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    await faults({ method: "GET", path: `/v2/endpoint/${NS}`, status: 200, body: { items: [item], nextCursor: "same" }, times: 2 });
    const { hf } = client();

    const result = await hf.listEndpoints(NS);

    expect(result).toMatchObject({ ok: false, error: { code: "invalid_response", message: expect.stringContaining("cursor loop") } });
  });

  it("reports an item that fails the schema for that endpoint only", async () => {
    await fleet(endpoint({ name: "good" }), endpoint({ name: "broken" }));
    await admin("endpoints/broken", { status: { readyReplica: "three" } });
    const { hf } = client();

    const result = await hf.listEndpoints(NS);

    expect(result.ok && result.value.endpoints.map((e) => e.name)).toEqual(["good"]);
    expect(result.ok && result.value.invalid).toEqual([
      expect.objectContaining({ code: "invalid_response", endpoint: `${NS}/broken`, message: expect.stringContaining("readyReplica") }),
    ]);
  });

  it("counts retried requests for subrequest accounting", async () => {
    await faults({ method: "GET", path: `/v2/endpoint/${NS}`, status: 503 });
    const { hf } = client();

    const result = await hf.listEndpoints(NS);

    expect(result.ok && result.value.requests).toBe(2);
  });
});

describe("endpoint actions", () => {
  it("gets one endpoint as a snapshot", async () => {
    const { hf } = client();

    const result = await hf.getEndpoint(NS, "chat");

    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({
        namespace: NS,
        name: "chat",
        state: "running",
        readyReplica: 2,
        targetReplica: 2,
        minReplica: 1,
        maxReplica: 4,
        vendor: "aws",
        region: "us-east-1",
        instanceType: "nvidia-l4",
        instanceSize: "x1",
        computeId: "aws-us-east-1-nvidia-l4-x1",
      }),
    });
  });

  it("sends only the changed keys in an update and returns the capped endpoint", async () => {
    const { hf } = client();

    const result = await hf.updateEndpoint(NS, "chat", { compute: { scaling: { maxReplica: 1, minReplica: undefined } } });

    expect(result).toMatchObject({ ok: true, value: { maxReplica: 1, targetReplica: 1, readyReplica: 1 } });
    const [put] = await calls();
    expect(put).toMatchObject({ method: "PUT", path: `/v2/endpoint/${NS}/chat`, body: { compute: { scaling: { maxReplica: 1 } } } });
  });

  it("pauses an endpoint down to zero replicas", async () => {
    const { hf } = client();

    const result = await hf.pauseEndpoint(NS, "chat");

    expect(result).toMatchObject({ ok: true, value: { state: "paused", readyReplica: 0, targetReplica: 0 } });
  });

  it("resumes a paused endpoint", async () => {
    await fleet(endpoint({ state: "paused", replicas: 0 }));
    const { hf } = client();

    const result = await hf.resumeEndpoint(NS, "chat");

    expect(result).toMatchObject({ ok: true, value: { state: "running", targetReplica: 1 } });
  });

  it("treats resuming an already running endpoint as success and reports it as fetched", async () => {
    const { hf } = client();

    const result = await hf.resumeEndpoint(NS, "chat");

    expect(result).toMatchObject({ ok: true, value: { state: "running", readyReplica: 2 } });
    expect((await calls()).map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      `POST /v2/endpoint/${NS}/chat/resume 400`,
      `GET /v2/endpoint/${NS}/chat 200`,
    ]);
  });

  it("scales an endpoint to zero", async () => {
    const { hf } = client();

    const result = await hf.scaleToZero(NS, "chat");

    expect(result).toMatchObject({ ok: true, value: { state: "scaledToZero", targetReplica: 0 } });
  });

  it("reports a token the API refuses as unauthorized", async () => {
    const { hf } = client({ token: "hf_someone_else" });

    const result = await hf.getEndpoint(NS, "chat");

    expect(result).toMatchObject({ ok: false, error: { code: "unauthorized", status: 401 } });
  });
});

describe("price catalog", () => {
  it("lists prices in integer micro-USD per replica-hour", async () => {
    const { hf } = client();

    const result = await hf.listPrices(NS);

    expect(result.ok && result.value.prices).toContainEqual({
      id: "aws-us-east-1-nvidia-l4-x1",
      vendor: "aws",
      region: "us-east-1",
      instanceType: "nvidia-l4",
      instanceSize: "x1",
      accelerator: "gpu",
      priceMicroPerHour: 800_000,
    });
    expect(result.ok && result.value.prices.find((p) => p.instanceType === "intel-spr" && p.instanceSize === "x1")?.priceMicroPerHour).toBe(
      33_000,
    );
  });

  it("answers a second call from the cache without a request", async () => {
    const { hf } = client();

    const first = await hf.listPrices(NS);
    const second = await hf.listPrices(NS);

    expect(second).toEqual(first);
    expect(await calls()).toHaveLength(1);
  });

  it("fetches the catalog again once the cache expires", async () => {
    let now = NOW;
    const { hf } = client({ now: () => now, priceCacheTtlMs: 60_000 });

    await hf.listPrices(NS);
    now += 60_000;
    await hf.listPrices(NS);

    expect(await calls()).toHaveLength(2);
  });
});

describe("retries and failures", () => {
  it("retries a 5xx with jittered backoff and then succeeds", async () => {
    await faults({ method: "GET", path: "/chat", status: 502, times: 2 });
    const { hf, sleeps } = client();

    const result = await hf.getEndpoint(NS, "chat");

    expect(result.ok).toBe(true);
    expect(sleeps).toEqual([375, 750]);
  });

  it("gives up on a persistent 5xx with server_error after maxRetries", async () => {
    await faults({ method: "GET", path: "/chat", status: 503, times: 10 });
    const { hf, sleeps } = client({ maxRetries: 2 });

    const result = await hf.getEndpoint(NS, "chat");

    expect(result).toMatchObject({ ok: false, error: { code: "server_error", status: 503, endpoint: `${NS}/chat` } });
    expect(sleeps).toHaveLength(2);
    expect(await calls()).toHaveLength(3);
  });

  it("waits as long as a 429's Retry-After seconds ask", async () => {
    await faults({ method: "GET", path: "/chat", status: 429, headers: { "Retry-After": "7" } });
    const { hf, sleeps } = client();

    const result = await hf.getEndpoint(NS, "chat");

    expect(result.ok).toBe(true);
    expect(sleeps).toEqual([7000]);
  });

  it("waits until a Retry-After HTTP date", async () => {
    await faults({ method: "GET", path: "/chat", status: 429, headers: { "Retry-After": new Date(NOW + 5000).toUTCString() } });
    const { hf, sleeps } = client();

    await hf.getEndpoint(NS, "chat");

    expect(sleeps).toEqual([5000]);
  });

  it("waits for the RateLimit reset plus one second, as huggingface_hub does", async () => {
    await faults({ method: "GET", path: "/chat", status: 429, headers: { RateLimit: '"api";r=0;t=12' } });
    const { hf, sleeps } = client();

    const result = await hf.getEndpoint(NS, "chat");

    expect(result.ok).toBe(true);
    expect(sleeps).toEqual([13_000]);
  });

  it("fails with rate_limited at once when the server asks to wait beyond the cap", async () => {
    await faults({ method: "GET", path: "/chat", status: 429, headers: { "Retry-After": "120" }, times: 5 });
    const { hf, sleeps } = client();

    const result = await hf.getEndpoint(NS, "chat");

    expect(result).toMatchObject({ ok: false, error: { code: "rate_limited", status: 429, message: expect.stringContaining("120 s") } });
    expect(sleeps).toEqual([]);
    expect(await calls()).toHaveLength(1);
  });

  it("reports a slow answer as a timeout", async () => {
    await faults({ method: "GET", path: "/chat", delayMs: 2000 });
    const { hf } = client({ timeoutMs: 50, maxRetries: 0 });

    const result = await hf.getEndpoint(NS, "chat");

    expect(result).toMatchObject({ ok: false, error: { code: "timeout", endpoint: `${NS}/chat` } });
  });

  it("retries a timed-out pause, which is idempotent on HF", async () => {
    await faults({ method: "POST", path: "/pause", delayMs: 2000 });
    const { hf } = client({ timeoutMs: 50, maxRetries: 1 });

    const result = await hf.pauseEndpoint(NS, "chat");

    expect(result).toMatchObject({ ok: true, value: { state: "paused" } });
    expect((await calls()).filter((c) => c.path.endsWith("/pause"))).toHaveLength(2);
  });

  it("reports a 200 whose body is not JSON as invalid_response", async () => {
    await faults({ method: "GET", path: "/chat", malformed: true });
    const { hf } = client();

    const result = await hf.getEndpoint(NS, "chat");

    expect(result).toMatchObject({ ok: false, error: { code: "invalid_response", endpoint: `${NS}/chat` } });
  });

  it("reports an unknown endpoint as not_found with HF's message and request id", async () => {
    const { hf } = client();

    const result = await hf.getEndpoint(NS, "nope");

    expect(result).toMatchObject({
      ok: false,
      error: {
        code: "not_found",
        status: 404,
        endpoint: `${NS}/nope`,
        message: expect.stringContaining("Endpoint not found"),
        requestId: expect.stringMatching(/^emu-/),
      },
    });
  });

  it("reports a rejected update as bad_request without retrying", async () => {
    const { hf, sleeps } = client();

    const result = await hf.updateEndpoint(NS, "chat", { compute: { scaling: { minReplica: 9 } } });

    expect(result).toMatchObject({ ok: false, error: { code: "bad_request", status: 400 } });
    expect(sleeps).toEqual([]);
  });

  it("reports a refused connection as a network error", async () => {
    const { hf } = client({ baseUrl: "http://127.0.0.1:1", maxRetries: 0 });

    const result = await hf.getEndpoint(NS, "chat");

    expect(result).toMatchObject({ ok: false, error: { code: "network" } });
  });

  it("never puts the token in an error message, even when the server echoes it", async () => {
    await faults({ method: "GET", path: "/chat", status: 401, body: { error: `invalid token ${TOKEN}` } });
    const { hf } = client();

    const result = await hf.getEndpoint(NS, "chat");

    expect(result).toMatchObject({ ok: false, error: { code: "unauthorized" } });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });
});
