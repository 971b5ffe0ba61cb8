// Request signatures inside workerd (WebCrypto as deployed): every Slack vector in
// shared/vectors/slack gets its expected verdict with the clock pinned as the vector says, and the
// override webhook's t=,v1= scheme accepts what it signed and nothing else.
import { describe, expect, it } from "vitest";
import { signOverride, signSlack, verifyOverrideSignature, verifySlackSignature } from "../../src/security/index.ts";

interface SlackVector {
  id: string;
  secret: string;
  timestamp: string | null;
  body: string | null;
  signature: string | null;
  expected_valid: boolean;
  /** null: check against the real clock */
  now_unix: number | null;
}

const files = import.meta.glob("@shared/vectors/slack/*.json", { eager: true, import: "default" });
const vectors = Object.values(files).flatMap((f) => (f as { vectors: SlackVector[] }).vectors);

describe("Slack request signatures (shared/vectors/slack)", () => {
  it("finds the vectors beside the repo, valid and invalid ones", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(12);
    expect(vectors.some((v) => v.expected_valid)).toBe(true);
    expect(vectors.some((v) => !v.expected_valid)).toBe(true);
  });

  it.each(vectors.map((v) => [v.id, v] as const))("%s", async (_id, v) => {
    const check = await verifySlackSignature({
      secret: v.secret,
      timestamp: v.timestamp,
      signature: v.signature,
      body: v.body,
      nowSeconds: v.now_unix ?? Date.now() / 1000,
    });
    expect(check.ok).toBe(v.expected_valid);
  });

  it("signs as Slack does (the documented example)", async () => {
    const doc = vectors.find((v) => v.id === "slack-doc-official");
    expect(doc?.body).toBeTruthy();
    if (!doc?.body) return;
    expect(await signSlack(doc.secret, doc.body, Number(doc.timestamp))).toEqual({ timestamp: doc.timestamp, signature: doc.signature });
  });
});

describe("override webhook signatures", () => {
  const secret = "s3cret";
  const body = '{"op":"suspend","endpoint":"acme/llm","duration":"2h","reason":"test","actor":"alice"}';
  const now = 1_800_000_000;
  const verify = (header: string | null, b = body, at = now, key = secret) =>
    verifyOverrideSignature({ secret: key, header, body: b, nowSeconds: at });

  it("accepts what it signed, within five minutes either way", async () => {
    const header = await signOverride(secret, body, now);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    for (const at of [now, now + 300, now - 300]) expect((await verify(header, body, at)).ok).toBe(true);
    expect((await verify(header.toUpperCase().replace("T=", "t=").replace("V1=", "v1="))).ok).toBe(true);
  });

  it("matches HMAC-SHA256 of <t>.<body> as openssl computes it", async () => {
    // printf '%s' '1800000000.{}' | openssl dgst -sha256 -hmac s3cret
    expect(await signOverride(secret, "{}", now)).toBe("t=1800000000,v1=1cd77f07c7f231a8a17cd9bc413e578ccb209c24eb17a0577ce1eb9218a4f3ed");
  });

  it.each([
    ["no header", null, "missing"],
    ["empty header", "", "missing"],
    ["no t", "v1=00", "malformed"],
    ["short hex", "t=1800000000,v1=abcd", "malformed"],
    ["non-hex", `t=1800000000,v1=${"z".repeat(64)}`, "malformed"],
    ["t not a number", `t=soon,v1=${"a".repeat(64)}`, "malformed"],
  ])("refuses %s", async (_name, header, reason) => {
    expect(await verify(header)).toMatchObject({ ok: false, reason });
  });

  it("refuses a stale or future timestamp, a changed body and another secret", async () => {
    const header = await signOverride(secret, body, now);
    expect(await verify(header, body, now + 301)).toMatchObject({ ok: false, reason: "stale" });
    expect(await verify(header, body, now - 301)).toMatchObject({ ok: false, reason: "stale" });
    expect(await verify(header, `${body} `)).toMatchObject({ ok: false, reason: "mismatch" });
    expect(await verify(header, body, now, "other")).toMatchObject({ ok: false, reason: "mismatch" });
    const moved = header.replace("t=1800000000", "t=1800000001");
    expect(await verify(moved)).toMatchObject({ ok: false, reason: "mismatch" });
  });
});
