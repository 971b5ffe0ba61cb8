// A local stand-in for Amazon SNS's Query API (https://sns.<region>.amazonaws.com/), enough of it for Publish:
// form-encoded `Action=Publish&Version=2010-03-31&...` POSTs to `/`, AWS Signature Version 4 checked against
// the credentials it was started with, and the XML replies SNS sends (PublishResponse, ErrorResponse), so the
// real @aws-sdk/client-sns runs against it unchanged (set AWS_ENDPOINT_URL_SNS to its URL).
//
// Checks, as SNS does: signature (403 MissingAuthenticationToken / InvalidClientTokenId / SignatureDoesNotMatch),
// the topic's region equals the signing region, Subject (< 100 characters, no line breaks or control characters),
// MessageStructure=json (a JSON object with a string "default"), message attributes (a DataType and a non-empty
// value), FIFO topics (`.fifo`: MessageGroupId and MessageDeduplicationId required, duplicates within five minutes
// accepted but not delivered).
//
// Admin API (JSON, no auth), scoped by topic ARN so parallel test files never see each other's messages:
//   GET  /_sns/topics/{arn}/messages   {messages: PublishedMessage[]}   delivered messages, oldest first
//   GET  /_sns/topics/{arn}/requests   {requests: PublishRequestRecord[]}  every Publish seen, with its answer
//   POST /_sns/topics/{arn}/faults     {faults: SnsFault[]}  the next matching Publishes get these errors
//   POST /_sns/topics/{arn}/reset      forget messages, requests and faults
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listen, sendText } from "./http.ts";
import { readBody } from "./http-body.ts";

export interface SnsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SnsFault {
  /** SNS error code, e.g. Throttling (HTTP 400), InternalError (500), AuthorizationError (403), NotFound (404) */
  code: string;
  status: number;
  message?: string;
  /** how many Publishes it answers; default 1 */
  times?: number;
}

export interface PublishedMessage {
  messageId: string;
  sequenceNumber: string | null;
  at: number;
  topicArn: string;
  subject: string | null;
  message: string;
  messageStructure: string | null;
  attributes: Record<string, { type: string; value: string }>;
  groupId: string | null;
  deduplicationId: string | null;
  /** from the Authorization header's credential scope */
  signedWith: { accessKeyId: string; region: string; service: string };
}

export interface PublishRequestRecord {
  at: number;
  status: number;
  code: string | null;
  messageId: string | null;
  /** true for a FIFO duplicate: accepted, not delivered again */
  duplicate: boolean;
}

export interface SnsServer {
  url: string;
  credentials: SnsCredentials;
  messages(topicArn: string): PublishedMessage[];
  close(): Promise<void>;
}

interface Topic {
  messages: PublishedMessage[];
  requests: PublishRequestRecord[];
  faults: SnsFault[];
  /** FIFO: deduplication id → message id and when it was accepted */
  dedup: Map<string, { messageId: string; sequenceNumber: string; at: number }>;
  sequence: bigint;
}

const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/";
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(\.fifo)?)$/;
const FIFO_DEDUP_MS = 5 * 60_000;
const MAX_MESSAGE_BYTES = 262_144;

export const TEST_AWS_CREDENTIALS: SnsCredentials = { accessKeyId: "AKIDLOCALSNS000000000", secretAccessKey: "local-sns-secret-key" };

class SnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: "Sender" | "Receiver" = status >= 500 ? "Receiver" : "Sender",
  ) {
    super(message);
  }
}

const xmlEscape = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] ?? c);

function errorXml(e: SnsError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${XMLNS}">\n  <Error>\n    <Type>${e.type}</Type>\n    <Code>${xmlEscape(e.code)}</Code>\n` +
    `    <Message>${xmlEscape(e.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`
  );
}

function publishXml(messageId: string, sequenceNumber: string | null, requestId: string): string {
  return (
    `<PublishResponse xmlns="${XMLNS}">\n  <PublishResult>\n    <MessageId>${messageId}</MessageId>\n` +
    (sequenceNumber ? `    <SequenceNumber>${sequenceNumber}</SequenceNumber>\n` : "") +
    `  </PublishResult>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</PublishResponse>\n`
  );
}

const sha256Hex = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

interface Scope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

/** Verifies AWS Signature Version 4 (header form) the way AWS does; returns the credential scope. */
export function verifySigV4(req: IncomingMessage, body: string, creds: SnsCredentials): Scope {
  const auth = req.headers.authorization;
  if (!auth) throw new SnsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) throw new SnsError(400, "IncompleteSignature", "Authorization header requires Credential, SignedHeaders and Signature");
  const [, accessKeyId = "", date = "", region = "", service = "", signedHeaders = "", signature = ""] = m;
  if (accessKeyId !== creds.accessKeyId) {
    throw new SnsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
  }
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  if (!amzDate.startsWith(date)) throw new SnsError(403, "SignatureDoesNotMatch", "Credential date does not match X-Amz-Date");
  const names = signedHeaders.split(";");
  if (!names.includes("host")) throw new SnsError(403, "SignatureDoesNotMatch", "host must be a signed header");
  const canonicalHeaders = names
    .map((n) => {
      const v = req.headers[n];
      return `${n}:${(Array.isArray(v) ? v.join(",") : (v ?? "")).trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  const url = new URL(req.url ?? "/", "http://sns");
  const query = [...url.searchParams]
    .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)])
    .sort(([a = ""], [b = ""]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const payloadHash = String(req.headers["x-amz-content-sha256"] ?? sha256Hex(body));
  const canonical = [req.method, url.pathname, query, canonicalHeaders, signedHeaders, payloadHash].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, date), region), service), "aws4_request");
  const expected = createHmac("sha256", key).update(toSign, "utf8").digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) {
    throw new SnsError(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
  }
  return { accessKeyId, date, region, service };
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` → a map. */
function parseAttributes(form: URLSearchParams): Record<string, { type: string; value: string }> {
  const out: Record<string, { type: string; value: string }> = {};
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const name = form.get(`MessageAttributes.entry.${n}.Name`) ?? "";
    const type = form.get(`MessageAttributes.entry.${n}.Value.DataType`) ?? "";
    const value = form.get(`MessageAttributes.entry.${n}.Value.StringValue`) ?? form.get(`MessageAttributes.entry.${n}.Value.BinaryValue`);
    if (!/^(String|Number|Binary|String\.Array)(\..+)?$/.test(type)) {
      throw new SnsError(400, "ParameterValueInvalid", `The message attribute '${name}' has an invalid message attribute type '${type}'.`);
    }
    if (!value) {
      throw new SnsError(400, "ParameterValueInvalid", `The message attribute '${name}' must contain non-empty message attribute value.`);
    }
    out[name] = { type, value };
  }
  return out;
}

export async function startSnsServer(options: { port?: number; credentials?: SnsCredentials } = {}): Promise<SnsServer> {
  const creds = options.credentials ?? TEST_AWS_CREDENTIALS;
  const topics = new Map<string, Topic>();
  const topic = (arn: string): Topic => {
    let t = topics.get(arn);
    if (!t) {
      t = { messages: [], requests: [], faults: [], dedup: new Map(), sequence: 10000000000000000000n };
      topics.set(arn, t);
    }
    return t;
  };

  function publish(form: URLSearchParams, scope: Scope, now: number): { messageId: string; sequenceNumber: string | null } {
    const version = form.get("Version");
    if (version !== "2010-03-31") throw new SnsError(400, "InvalidParameterValue", `Invalid Version ${version ?? "(missing)"}`);
    const arn = form.get("TopicArn") ?? "";
    const arnParts = TOPIC_ARN.exec(arn);
    if (!arnParts) throw new SnsError(400, "InvalidParameter", "Invalid parameter: TopicArn");
    if (arnParts[1] !== scope.region) {
      throw new SnsError(
        400,
        "InvalidParameter",
        `Invalid parameter: TopicArn (topic is in ${arnParts[1]}, request signed for ${scope.region})`,
      );
    }
    if (scope.service !== "sns") throw new SnsError(403, "SignatureDoesNotMatch", `Credential should be scoped to correct service: 'sns'.`);
    const t = topic(arn);
    const fault = t.faults[0];
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) t.faults.shift();
      throw new SnsError(fault.status, fault.code, fault.message ?? fault.code);
    }
    const message = form.get("Message");
    if (!message) throw new SnsError(400, "InvalidParameter", "Invalid parameter: Empty message");
    if (Buffer.byteLength(message, "utf8") > MAX_MESSAGE_BYTES)
      throw new SnsError(400, "InvalidParameter", "Invalid parameter: Message too long");
    const subject = form.get("Subject");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: SNS rejects control characters in subjects
    if (subject !== null && (subject.length === 0 || subject.length >= 100 || /[\u0000-\u001f\u007f]/.test(subject))) {
      throw new SnsError(400, "InvalidParameter", "Invalid parameter: Subject");
    }
    const structure = form.get("MessageStructure");
    if (structure !== null) {
      if (structure !== "json") throw new SnsError(400, "InvalidParameter", "Invalid parameter: MessageStructure");
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        throw new SnsError(400, "InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse");
      }
      if (typeof parsed !== "object" || parsed === null || typeof (parsed as Record<string, unknown>).default !== "string") {
        throw new SnsError(400, "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body");
      }
      for (const [k, v] of Object.entries(parsed)) {
        if (typeof v !== "string")
          throw new SnsError(400, "InvalidParameter", `Invalid parameter: Message Structure - ${k} is not a string`);
      }
    }
    const attributes = parseAttributes(form);
    const groupId = form.get("MessageGroupId");
    const deduplicationId = form.get("MessageDeduplicationId");
    const fifo = arnParts[4] !== undefined;
    let sequenceNumber: string | null = null;
    if (fifo) {
      if (!groupId)
        throw new SnsError(400, "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics");
      if (!deduplicationId) {
        throw new SnsError(
          400,
          "InvalidParameter",
          "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        );
      }
      const seen = t.dedup.get(deduplicationId);
      if (seen && now - seen.at < FIFO_DEDUP_MS) {
        t.requests.push({ at: now, status: 200, code: null, messageId: seen.messageId, duplicate: true });
        return { messageId: seen.messageId, sequenceNumber: seen.sequenceNumber };
      }
      t.sequence += 1n;
      sequenceNumber = t.sequence.toString();
    }
    const messageId = randomUUID();
    if (fifo && deduplicationId && sequenceNumber) t.dedup.set(deduplicationId, { messageId, sequenceNumber, at: now });
    t.messages.push({
      messageId,
      sequenceNumber,
      at: now,
      topicArn: arn,
      subject,
      message,
      messageStructure: structure,
      attributes,
      groupId,
      deduplicationId,
      signedWith: { accessKeyId: scope.accessKeyId, region: scope.region, service: scope.service },
    });
    t.requests.push({ at: now, status: 200, code: null, messageId, duplicate: false });
    return { messageId, sequenceNumber };
  }

  function admin(method: string, path: string, text: string): { status: number; payload: unknown } {
    const m = /^\/_sns\/topics\/([^/]+)\/(messages|requests|faults|reset)$/.exec(path);
    if (!m) return { status: 404, payload: { error: `no admin route ${method} ${path}` } };
    const t = topic(decodeURIComponent(m[1] ?? ""));
    const what = m[2];
    if (method === "GET" && what === "messages") return { status: 200, payload: { messages: t.messages } };
    if (method === "GET" && what === "requests") return { status: 200, payload: { requests: t.requests } };
    if (method === "POST" && what === "faults") {
      const body = JSON.parse(text || "{}") as { faults?: SnsFault[] };
      t.faults.push(...(body.faults ?? []));
      return { status: 200, payload: { faults: t.faults.length } };
    }
    if (method === "POST" && what === "reset") {
      topics.delete(decodeURIComponent(m[1] ?? ""));
      return { status: 200, payload: {} };
    }
    return { status: 405, payload: { error: `method ${method} not allowed on ${path}` } };
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      sendText(res, 500, "text/plain", error instanceof Error ? error.message : String(error));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const url = new URL(req.url ?? "/", "http://sns");
    if (url.pathname.startsWith("/_sns/")) {
      const r = admin(req.method ?? "GET", url.pathname, text);
      return sendText(res, r.status, "application/json", JSON.stringify(r.payload));
    }
    const requestId = randomUUID();
    const form = new URLSearchParams(text);
    let record: Topic | undefined;
    try {
      if (req.method !== "POST" || url.pathname !== "/") throw new SnsError(404, "NotFound", `No route ${req.method} ${url.pathname}`);
      const scope = verifySigV4(req, text, creds);
      const action = form.get("Action");
      if (action !== "Publish")
        throw new SnsError(400, "InvalidAction", `The action ${action ?? "(missing)"} is not valid for this endpoint.`);
      record = TOPIC_ARN.test(form.get("TopicArn") ?? "") ? topic(form.get("TopicArn") ?? "") : undefined;
      const { messageId, sequenceNumber } = publish(form, scope, Date.now());
      return sendText(res, 200, "text/xml", publishXml(messageId, sequenceNumber, requestId), { "x-amzn-requestid": requestId });
    } catch (error) {
      if (!(error instanceof SnsError)) throw error;
      record?.requests.push({ at: Date.now(), status: error.status, code: error.code, messageId: null, duplicate: false });
      return sendText(res, error.status, "text/xml", errorXml(error, requestId), { "x-amzn-requestid": requestId });
    }
  }

  const bound = await listen(server, options.port);
  return {
    url: bound.url,
    credentials: creds,
    messages: (arn) => topics.get(arn)?.messages ?? [],
    close: bound.close,
  };
}
