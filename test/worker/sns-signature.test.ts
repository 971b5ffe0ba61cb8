// SNS message verification inside workerd: every recorded AWS message in shared/vectors/sns gets
// the verdict its manifest states (the clock and certificate fetch are injected: the
// certificates expired long ago), every SigningCertURL case, and messages signed here with a
// fresh key whose certificate a local server serves.
import { describe, expect, inject, it } from "vitest";
import {
  CertCache,
  httpsCertFetcher,
  isTrustedCertUrl,
  parseEnvelope,
  type SnsMessage,
  signatureMatches,
  spkiFromPem,
  verifySnsMessage,
} from "../../src/security/sns-signature.ts";
import { publishCert, snsHostFetch, testSigner } from "../fixtures/sns-signer.ts";

interface Vector {
  file: string;
  cert: string | null;
  type: string;
  expected_valid: boolean | "signature-only";
  signature_checks_with_cert: boolean | null;
}
interface UrlCase {
  url: unknown;
  expected_accept: boolean;
}

const manifest = Object.values(import.meta.glob("@shared/vectors/sns/manifest.json", { eager: true, import: "default" }))[0] as
  | { vectors: Vector[] }
  | undefined;
const urlCases = Object.values(
  import.meta.glob("@shared/vectors/sns/signing_cert_url_cases.json", { eager: true, import: "default" }),
)[0] as { url_cases: UrlCase[]; host_only_cases: Array<{ host: string; expected_accept: boolean }> } | undefined;
const messages = import.meta.glob("@shared/vectors/sns/messages/*.json", { eager: true, import: "default" });
const certs = import.meta.glob("@shared/vectors/sns/certs/*.pem", { eager: true, import: "default", query: "?raw" }) as Record<
  string,
  string
>;
/** The glob key of a vector file (keys are spelled as Vite resolved the @shared alias). */
const at = (rel: string) => Object.keys({ ...messages, ...certs }).find((k) => k.endsWith(`/vectors/sns/${rel}`)) ?? rel;
const vectors = manifest?.vectors ?? [];

/** A fetch of SigningCertURL answered from the vector's certificate file, counting calls. */
function vectorCertFetch(pemFile: string | null) {
  const calls: string[] = [];
  return {
    calls,
    fetchCert: async (url: string) => {
      calls.push(url);
      const pem = pemFile === null ? undefined : certs[at(pemFile)];
      if (pem === undefined) throw new Error("no certificate");
      return pem;
    },
  };
}

const clockAt = (m: unknown) => () => Date.parse((m as { Timestamp?: string }).Timestamp ?? "") + 5_000;

describe("SNS vectors from shared/vectors/sns", () => {
  it("finds all 41 recorded messages and the certificate URL cases beside the repo", () => {
    expect(vectors.length).toBe(41);
    expect(Object.keys(messages).length).toBe(41);
    expect(urlCases?.url_cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(vectors.map((v) => [v.file, v] as const))("%s gets its expected verdict", async (_file, v) => {
    const body = messages[at(v.file)];
    const { fetchCert } = vectorCertFetch(v.cert);
    const verdict = await verifySnsMessage(body, { now: clockAt(body), fetchCert, cache: new CertCache() });
    // "signature-only" messages are signed by a test key with an http://localhost certificate URL: production refuses them.
    expect(verdict.ok).toBe(v.expected_valid === true);
    if (v.expected_valid === "signature-only") expect(verdict).toMatchObject({ ok: false, code: "cert_url" });
  });

  it.each(vectors.filter((v) => v.cert !== null && v.signature_checks_with_cert !== null).map((v) => [v.file, v] as const))(
    "%s: the RSA check alone agrees with the independent check",
    async (_file, v) => {
      const env = parseEnvelope(messages[at(v.file)]);
      if (!env.ok) {
        // Only messages missing signed keys fail to parse; their signature cannot check either.
        expect(v.signature_checks_with_cert).toBe(false);
        return;
      }
      const spki = spkiFromPem(certs[at(v.cert as string)] as string);
      expect(await signatureMatches(env.message, spki)).toBe(v.signature_checks_with_cert);
    },
  );

  it.each((urlCases?.url_cases ?? []).map((c) => [String(c.url), c] as const))("SigningCertURL %s: accept = %s", (_u, c) => {
    expect(isTrustedCertUrl(c.url)).toBe(c.expected_accept);
  });

  it.each((urlCases?.host_only_cases ?? []).map((c) => [c.host, c] as const))("host %s: accept = %s", (host, c) => {
    expect(isTrustedCertUrl(`https://${host}/SimpleNotificationService-x.pem`)).toBe(c.expected_accept);
  });

  it("refuses a valid AWS message once its Timestamp is older than an hour", async () => {
    const body = messages[at("messages/aws-2022-notification-sv2.json")];
    const { fetchCert, calls } = vectorCertFetch("certs/sns-7ff5318490ec183fbaddaa2a969abfda.pem");
    const late = () => clockAt(body)() + 3_600_000;
    expect(await verifySnsMessage(body, { now: late, fetchCert, cache: new CertCache() })).toMatchObject({ ok: false, code: "stale" });
    expect(calls).toEqual([]); // refused before any certificate fetch
  });
});

describe("SNS messages signed with a key made here, certificate served by a local server", () => {
  const hostBase = inject("snsHostBase");
  const CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-signature-test.pem";
  const NOW = Date.UTC(2026, 2, 9, 12, 0, 5);
  const fields = {
    Type: "Notification" as const,
    MessageId: "5a1c1f4e-0000-4000-8000-000000000001",
    TopicArn: "arn:aws:sns:us-east-1:123456789012:guardrail-commands",
    Subject: "scheduled scale",
    Message: '{"hello":"world"}\nline two',
    Timestamp: new Date(NOW - 5_000).toISOString(),
  };

  async function setup() {
    const signer = await testSigner(CERT_URL);
    await publishCert(hostBase, CERT_URL, signer.certPem);
    const seen: string[] = [];
    const options = { now: () => NOW, fetchCert: httpsCertFetcher(snsHostFetch(hostBase, seen)), cache: new CertCache() };
    return { signer, options, seen };
  }

  it("verifies SignatureVersion 2 and 1, fetching the certificate once", async () => {
    const { signer, options, seen } = await setup();
    const v2 = await verifySnsMessage(await signer.sign(fields, "2"), options);
    expect(v2, JSON.stringify(v2)).toMatchObject({ ok: true });
    expect(await verifySnsMessage(await signer.sign(fields, "1"), options)).toMatchObject({ ok: true });
    expect(seen).toEqual([CERT_URL]); // cached by URL
  });

  it("verifies a SubscriptionConfirmation, whose SubscribeURL and Token are signed", async () => {
    const { signer, options } = await setup();
    const m = await signer.sign({
      Type: "SubscriptionConfirmation",
      MessageId: "c0ffee00-0000-4000-8000-000000000002",
      TopicArn: fields.TopicArn,
      Message: "You have chosen to subscribe to the topic.",
      Timestamp: fields.Timestamp,
      Token: "2336412f37fb687f5d51e6e2425",
      SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=2336412f37fb687f5d51e6e2425",
    });
    expect(await verifySnsMessage(m, options)).toMatchObject({ ok: true });
    const swapped = { ...m, SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=evil&Token=x" };
    expect(await verifySnsMessage(swapped, options)).toMatchObject({ ok: false, code: "bad_signature" });
  });

  it.each<[string, (m: SnsMessage) => unknown, string]>([
    ["a tampered Message", (m) => ({ ...m, Message: '{"hello":"w0rld"}\nline two' }), "bad_signature"],
    ["a tampered Subject", (m) => ({ ...m, Subject: "other" }), "bad_signature"],
    ["a removed Subject", ({ Subject: _s, ...m }) => m, "bad_signature"],
    [
      "an unknown certificate host",
      (m) => ({ ...m, SigningCertURL: "https://sns.us-east-1.amazonaws.com.evil.example/c.pem" }),
      "cert_url",
    ],
    [
      "an S3-hosted certificate",
      (m) => ({ ...m, SigningCertURL: "https://s3.amazonaws.com/bucket/SimpleNotificationService-x.pem" }),
      "cert_url",
    ],
    ["an http certificate URL", (m) => ({ ...m, SigningCertURL: CERT_URL.replace("https:", "http:") }), "cert_url"],
    ["an expired Timestamp", (m) => ({ ...m, Timestamp: new Date(NOW - 3_700_000).toISOString() }), "stale"],
    ["a Timestamp far in the future", (m) => ({ ...m, Timestamp: new Date(NOW + 3_700_000).toISOString() }), "stale"],
    ["SignatureVersion 3", (m) => ({ ...m, SignatureVersion: "3" }), "signature_version"],
    ["a SignatureVersion 2 signature labelled 1", (m) => ({ ...m, SignatureVersion: "1" }), "bad_signature"],
    ["no Signature", ({ Signature: _s, ...m }) => m, "malformed"],
    [
      "a certificate the host does not have",
      (m) => ({ ...m, SigningCertURL: CERT_URL.replace("signature-test", "missing") }),
      "cert_unavailable",
    ],
  ])("refuses %s", async (_what, mutate, code) => {
    const { signer, options } = await setup();
    const m = await signer.sign(fields, "2");
    expect(await verifySnsMessage(mutate(m), options)).toMatchObject({ ok: false, code });
  });
});
