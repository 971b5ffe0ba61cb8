// Verification of Amazon SNS HTTP(S) messages, with WebCrypto only (runs in workerd and Node).
// The rules are AWS's own validators' (aws-js/php-sns-message-validator, aws-sdk-ruby
// MessageVerifier; shared/reference/workers-platform.md §5.1):
// - SigningCertURL: https, path ending `.pem`, host `sns.<region>.amazonaws.com(.cn)`: no other
//   host is trusted, not even another amazonaws.com one (S3 buckets are attacker-controlled).
// - SignatureVersion "1" = SHA1withRSA, "2" = SHA256withRSA, over the string to sign: each present
//   key of Message, MessageId, Subject, SubscribeURL, Timestamp, Token, TopicArn, Type (in that
//   order, per message type) as `key\nvalue\n`.
// - Timestamp within `maxAgeMs` of the injected clock (replay protection AWS's libraries leave out).
// Certificates are fetched with the injected fetch and cached by URL (the URL names the key).
// Like AWS's validators, the certificate chain and validity dates are not checked: the host rule
// and HTTPS are the trust anchor.
import * as z from "zod";

export const SNS_CERT_HOST = /^sns\.[a-zA-Z0-9-]{3,}\.amazonaws\.com(\.cn)?$/;

export type SnsMessageType = "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation";

const str = z.string();

/** The envelope SNS posts; Lambda-style `...Url` keys are accepted and named `...URL`. */
const envelopeSchema = z
  .object({
    Type: z.enum(["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"]),
    MessageId: str,
    TopicArn: str,
    Message: str,
    Timestamp: str,
    SignatureVersion: str,
    Signature: str,
    SigningCertURL: str,
    Subject: str.nullable().optional(),
    SubscribeURL: str.optional(),
    Token: str.optional(),
    UnsubscribeURL: str.optional(),
    MessageAttributes: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

export type SnsMessage = z.infer<typeof envelopeSchema>;

export type SnsRejection = "malformed" | "cert_url" | "signature_version" | "stale" | "cert_unavailable" | "bad_signature";

export type SnsVerdict = { ok: true; message: SnsMessage } | { ok: false; code: SnsRejection; reason: string };

/** Loads a certificate's PEM text by URL; a failure (status, network) is a thrown error or a rejection. */
export type CertFetcher = (url: string) => Promise<string>;

export interface SnsVerifyOptions {
  now: () => number;
  fetchCert: CertFetcher;
  /** oldest (and furthest in the future) Timestamp accepted; default 1 hour */
  maxAgeMs?: number;
  cache?: CertCache;
}

const HASHES = { "1": "SHA-1", "2": "SHA-256" } as const;
export const DEFAULT_MAX_AGE_MS = 3_600_000;

/** The SigningCertURL rule of AWS's validators. */
export function isTrustedCertUrl(url: unknown): boolean {
  if (typeof url !== "string") return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === "https:" && u.pathname.endsWith(".pem") && SNS_CERT_HOST.test(u.hostname) && u.port === "";
}

/** SubscribeURL must point at SNS itself before the Worker follows it. */
export function isTrustedSnsUrl(url: unknown): boolean {
  if (typeof url !== "string") return false;
  try {
    const u = new URL(url);
    return u.protocol === "https:" && SNS_CERT_HOST.test(u.hostname) && u.port === "";
  } catch {
    return false;
  }
}

const LAMBDA_KEYS: Record<string, string> = {
  SigningCertUrl: "SigningCertURL",
  UnsubscribeUrl: "UnsubscribeURL",
  SubscribeUrl: "SubscribeURL",
};

/** Parses the posted JSON value into a message, or says what is missing. */
export function parseEnvelope(value: unknown): { ok: true; message: SnsMessage } | { ok: false; reason: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, reason: "not a JSON object" };
  const normalized: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) normalized[LAMBDA_KEYS[k] ?? k] = v;
  const parsed = envelopeSchema.safeParse(normalized);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, reason: first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "not an SNS message" };
  }
  const m = parsed.data;
  if (m.Type !== "Notification" && (m.SubscribeURL === undefined || m.Token === undefined)) {
    return { ok: false, reason: `${m.Type} without SubscribeURL and Token` };
  }
  return { ok: true, message: m };
}

/** AWS's string to sign for the message's type. */
export function stringToSign(m: SnsMessage): string {
  const keys =
    m.Type === "Notification"
      ? (["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] as const)
      : (["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"] as const);
  let out = "";
  for (const k of keys) {
    const v = m[k];
    if (typeof v === "string") out += `${k}\n${v}\n`;
  }
  return out;
}

// --- certificates -------------------------------------------------------------------------

function base64ToBytes(b64: string): Uint8Array | null {
  try {
    const bin = atob(b64.replace(/\s+/g, ""));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** One DER element at `at`: where its content starts and where the element ends. */
function derElement(der: Uint8Array, at: number): { tag: number; start: number; end: number } {
  const tag = der[at] ?? -1;
  let len = der[at + 1] ?? 0;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error("unsupported DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] ?? 0);
    start += n;
  }
  if (start + len > der.length) throw new Error("truncated DER");
  return { tag, start, end: start + len };
}

/**
 * The SubjectPublicKeyInfo of the first certificate in `pem` (X.509: Certificate ->
 * tbsCertificate -> [version], serial, signature, issuer, validity, subject, SPKI).
 */
export function spkiFromPem(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  const der = m ? base64ToBytes(m[1] as string) : null;
  if (!der) throw new Error("no PEM certificate");
  const cert = derElement(der, 0);
  const tbs = derElement(der, cert.start);
  if (cert.tag !== 0x30 || tbs.tag !== 0x30) throw new Error("not an X.509 certificate");
  let at = tbs.start;
  if (der[at] === 0xa0) at = derElement(der, at).end; // explicit version
  for (let i = 0; i < 5; i++) at = derElement(der, at).end; // serial, signature, issuer, validity, subject
  const spki = derElement(der, at);
  if (spki.tag !== 0x30) throw new Error("no SubjectPublicKeyInfo");
  return der.slice(at, spki.end);
}

/** Certificates by URL (each SNS certificate URL names one key), bounded; failures are not kept. */
export class CertCache {
  private readonly entries = new Map<string, Promise<Uint8Array>>();
  constructor(private readonly max = 32) {}

  get(url: string, fetchCert: CertFetcher): Promise<Uint8Array> {
    let p = this.entries.get(url);
    if (!p) {
      p = fetchCert(url).then(spkiFromPem);
      p.catch(() => this.entries.delete(url));
      if (this.entries.size >= this.max) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      this.entries.set(url, p);
    }
    return p;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A process-wide cache: certificates outlive one request in a Worker isolate. */
export const sharedCertCache = new CertCache();

/** RSA PKCS#1 v1.5 check of the message against a public key; false on any malformed input. */
export async function signatureMatches(m: SnsMessage, spki: Uint8Array): Promise<boolean> {
  const hash = HASHES[m.SignatureVersion as keyof typeof HASHES];
  const sig = base64ToBytes(m.Signature);
  if (!hash || !sig || sig.length === 0) return false;
  try {
    const key = await crypto.subtle.importKey("spki", spki, { name: "RSASSA-PKCS1-v1_5", hash }, false, ["verify"]);
    return await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, sig, new TextEncoder().encode(stringToSign(m)));
  } catch {
    return false;
  }
}

/** The whole check, in the order that spends nothing on a message that fails a cheap rule. */
export async function verifySnsMessage(value: unknown, o: SnsVerifyOptions): Promise<SnsVerdict> {
  const env = parseEnvelope(value);
  if (!env.ok) return { ok: false, code: "malformed", reason: env.reason };
  const m = env.message;
  if (!(m.SignatureVersion in HASHES)) {
    return { ok: false, code: "signature_version", reason: `SignatureVersion ${m.SignatureVersion} is not supported (1 or 2)` };
  }
  if (!isTrustedCertUrl(m.SigningCertURL)) {
    return { ok: false, code: "cert_url", reason: "SigningCertURL is not an https .pem on sns.<region>.amazonaws.com" };
  }
  const at = Date.parse(m.Timestamp);
  const maxAge = o.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const now = o.now();
  if (Number.isNaN(at)) return { ok: false, code: "malformed", reason: "Timestamp is not a date" };
  if (now - at > maxAge || at - now > maxAge) {
    return { ok: false, code: "stale", reason: `Timestamp ${m.Timestamp} is more than ${Math.round(maxAge / 60_000)} minutes from now` };
  }
  let spki: Uint8Array;
  try {
    spki = await (o.cache ?? sharedCertCache).get(m.SigningCertURL, o.fetchCert);
  } catch (err) {
    return {
      ok: false,
      code: "cert_unavailable",
      reason: `signing certificate unavailable: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (!(await signatureMatches(m, spki))) return { ok: false, code: "bad_signature", reason: "the signature does not match the message" };
  return { ok: true, message: m };
}

/** Fetches a certificate over HTTPS with `fetch`, refusing anything but a 200 with a PEM. */
export function httpsCertFetcher(fetcher: typeof fetch, timeoutMs = 5000): CertFetcher {
  return async (url) => {
    // "manual": a redirect answers 3xx and is refused below (workerd has no redirect "error").
    const res = await fetcher(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`GET ${url} answered ${res.status}`);
    }
    // Decoded by hand: SNS serves PEMs as application/x-x509-ca-cert, which workerd warns about in text().
    const text = new TextDecoder().decode(await res.arrayBuffer());
    if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`GET ${url} did not return a PEM certificate`);
    return text;
  };
}
