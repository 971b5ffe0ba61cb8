// @aws-sdk/client-sns inside workerd against the local SNS Query API server: the signed form POST goes out,
// SNS's XML comes back and is parsed (workerd has no DOMParser: the wrangler/vitest alias makes this work).
import { describe, expect, inject, it } from "vitest";
import { TEST_AWS_CREDENTIALS } from "../../src/fakes/sns-server.ts";
import { type NoticeBody, publishToSns, renderSns } from "../../src/notify/index.ts";
import { snsTopic } from "../fixtures/notify-admin.ts";

const endpoint = inject("snsBase");
const target = { region: "us-east-1", ...TEST_AWS_CREDENTIALS, endpoint };

const body: NoticeBody = {
  source: "budget-guardrail",
  version: 1,
  notice: "alert",
  kind: "budget_level",
  severity: "critical",
  endpoint: null,
  title: "Spend crossed 150% of the daily budget (reroute)",
  message: "Today's spend $15.10 is 151.0% of the $10.00 budget.",
  budget_day: "2026-02-01",
  at: "2026-02-01T00:50:00.000Z",
  event_id: 7,
  dedup_key: "2026-02-01:budget_level:2",
  figures: { spend_usd: 15.1, budget_usd: 10, ratio: 1.51 },
  actions: [],
  resolves: null,
  links: { status: null, event: null },
};

describe("SNS through the AWS SDK inside workerd", () => {
  it("returns the MessageId from SNS's XML reply, although workerd has no DOMParser", async () => {
    expect(typeof (globalThis as { DOMParser?: unknown }).DOMParser).toBe("undefined");
    const topic = snsTopic(endpoint, "arn:aws:sns:us-east-1:123456789012:sdk-publish");
    const out = await publishToSns(target, renderSns(body, topic.arn, "event:7"));
    expect(out.ok).toBe(true);
    const [published, ...more] = await topic.messages();
    expect(more).toEqual([]);
    expect(out).toEqual({ ok: true, id: published?.messageId });
    // The server checked the SigV4 signature with these credentials; the scope says region and service.
    expect(published?.signedWith).toEqual({ accessKeyId: TEST_AWS_CREDENTIALS.accessKeyId, region: "us-east-1", service: "sns" });
    expect(published?.messageStructure).toBe("json");
    expect(published?.attributes).toEqual({
      severity: { type: "String", value: "critical" },
      kind: { type: "String", value: "budget_level" },
      endpoint: { type: "String", value: "fleet" },
      notice: { type: "String", value: "alert" },
    });
  });

  it("adds the String attribute budget for an alert about a named budget, which a filter policy can match", async () => {
    const topic = snsTopic(endpoint, "arn:aws:sns:us-east-1:123456789012:sdk-budget");
    const named: NoticeBody = {
      ...body,
      title: 'Budget "search": spend crossed 150% of its monthly budget (reroute)',
      figures: { budget: "search", period: "2026-02", spend_usd: 4510, amount_usd: 3000, ratio: 1.5033 },
    };
    expect((await publishToSns(target, renderSns(named, topic.arn, "event:8"))).ok).toBe(true);
    const [published] = await topic.messages();
    expect(published?.attributes.budget).toEqual({ type: "String", value: "search" });
    expect(Object.keys(published?.attributes ?? {}).sort()).toEqual(["budget", "endpoint", "kind", "notice", "severity"]);
    // The email text names the budget first and says month-to-date for a month budget.
    const email = (JSON.parse(published?.message ?? "{}") as { email: string }).email;
    expect(email).toContain("Budget: search\nSpend this month: $4,510.00\n");
    expect(email).toContain("Endpoint: the budget's endpoints");
  });

  it("reports an SNS Throttling error document (HTTP 400) as worth retrying, and publishes nothing", async () => {
    const topic = snsTopic(endpoint, "arn:aws:sns:us-east-1:123456789012:sdk-throttled");
    await topic.faults({ code: "Throttling", status: 400, message: "Rate exceeded" });
    const out = await publishToSns(target, renderSns(body, topic.arn, "event:7"));
    expect(out).toEqual({ ok: false, retry: true, error: "SNS Throttling (HTTP 400): Rate exceeded" });
    expect(await topic.messages()).toEqual([]);
    expect((await topic.requests()).map((r) => [r.status, r.code])).toEqual([[400, "Throttling"]]);
  });

  it("does not retry a request SNS rejects as invalid", async () => {
    const topic = snsTopic(endpoint, "arn:aws:sns:us-east-1:123456789012:sdk-invalid");
    const out = await publishToSns(target, { ...renderSns(body, topic.arn, "event:7"), Subject: "line\nbreak" });
    expect(out).toMatchObject({ ok: false, retry: false });
    expect(out.ok === false && out.error).toContain("InvalidParameter");
  });

  it("is refused with wrong credentials (the signature is really checked)", async () => {
    const topic = snsTopic(endpoint, "arn:aws:sns:us-east-1:123456789012:sdk-badkey");
    const out = await publishToSns({ ...target, secretAccessKey: "not-the-secret" }, renderSns(body, topic.arn, "event:7"));
    expect(out.ok === false && out.error).toContain("SignatureDoesNotMatch");
    expect(await topic.messages()).toEqual([]);
  });

  it("gives FIFO topics a group id and a stable deduplication id, so a repeated publish is delivered once", async () => {
    const topic = snsTopic(endpoint, "arn:aws:sns:us-east-1:123456789012:sdk-alerts.fifo");
    const input = renderSns(body, topic.arn, "event:7");
    expect(input).toMatchObject({ MessageGroupId: "budget-guardrail", MessageDeduplicationId: "event:7" });
    const first = await publishToSns(target, input);
    const second = await publishToSns(target, input);
    expect(second).toEqual(first);
    expect(await topic.messages()).toHaveLength(1);
  });
});
