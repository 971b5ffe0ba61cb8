// infra/aws/guardrail.yaml: parsed with the CloudFormation short-form tags, then checked for least
// privilege: no wildcard action anywhere, a wildcard resource only where AWS offers nothing narrower.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type CloudFormationTemplate, parseTemplate, type Statement, statements } from "../fixtures/cloudformation.ts";

const file = path.resolve(import.meta.dirname, "../../infra/aws/guardrail.yaml");
const template = parseTemplate(readFileSync(file, "utf8"));

/** Actions without resource-level permissions (Service Authorization Reference): "*" is their only resource. */
const NO_RESOURCE_LEVEL = new Set(["scheduler:ListSchedules", "scheduler:ListScheduleGroups"]);
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation !Sub placeholders, not a JS template
const GROUP_SCHEDULES = "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${ScheduleGroupName}/*";

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation !Sub placeholders, not a JS template
const GROUP_ARN = "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule-group/${ScheduleGroupName}";

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** What is too broad in one statement; empty when it is as narrow as AWS allows. */
function wildcardProblems(s: Statement): string[] {
  const problems: string[] = [];
  if (s.NotAction !== undefined || s.NotResource !== undefined) problems.push("NotAction/NotResource grant everything else");
  const actions = list(s.Action);
  for (const a of actions) if (a.includes("*") || a.includes("?")) problems.push(`wildcard action ${a}`);
  for (const r of list(s.Resource as unknown)) {
    const text =
      typeof r === "string"
        ? r
        : typeof r === "object" && r !== null && "Fn::Sub" in r
          ? String((r as { "Fn::Sub": unknown })["Fn::Sub"])
          : "";
    if (text === "*") {
      const narrowable = actions.filter((a) => !NO_RESOURCE_LEVEL.has(a));
      if (narrowable.length > 0) problems.push(`Resource "*" for ${narrowable.join(", ")}, which accept(s) a specific resource`);
    } else if (text.includes("*") && text !== GROUP_SCHEDULES) {
      problems.push(`wildcard resource ${text}`);
    }
  }
  return problems;
}

const resource = (name: string) => template.Resources[name] as CloudFormationTemplate["Resources"][string];
const identity = statements(template).filter((s) => !s.trust);

describe("infra/aws/guardrail.yaml", () => {
  it("parses with the intrinsic functions in their JSON form", () => {
    expect(resource("CommandsSubscription").Properties).toMatchObject({
      TopicArn: { Ref: "CommandsTopic" },
      Protocol: "https",
      Endpoint: { Ref: "WorkerHookUrl" },
    });
    expect(template.Outputs.SchedulerRoleArn?.Value).toEqual({ "Fn::GetAtt": ["SchedulerRole", "Arn"] });
    expect(Object.keys(template.Parameters)).toEqual(["WorkerHookUrl", "NamePrefix", "ScheduleGroupName"]);
  });

  it.each(identity.map((s) => [s.where, s.statement] as const))(
    "%s uses no wildcard where a specific action or resource exists",
    (_w, s) => {
      expect(wildcardProblems(s)).toEqual([]);
    },
  );

  it("finds the wildcards it must refuse (the check itself can fail)", () => {
    expect(wildcardProblems({ Effect: "Allow", Action: "sns:*", Resource: { Ref: "AlertsTopic" } })).toEqual(["wildcard action sns:*"]);
    expect(wildcardProblems({ Effect: "Allow", Action: ["sns:Publish"], Resource: "*" })).toEqual([
      'Resource "*" for sns:Publish, which accept(s) a specific resource',
    ]);
    expect(
      wildcardProblems({ Effect: "Allow", Action: "scheduler:GetSchedule", Resource: { "Fn::Sub": "arn:aws:scheduler:*:*:schedule/*" } }),
    ).toHaveLength(1);
    expect(wildcardProblems({ Effect: "Allow", NotAction: "iam:*", Resource: "*" } as Statement)).toContain(
      "NotAction/NotResource grant everything else",
    );
  });

  it("creates the alerts and commands topics, with SHA256 signatures, and subscribes the Worker's hook to commands over HTTPS", () => {
    expect(resource("AlertsTopic")).toMatchObject({ Type: "AWS::SNS::Topic", Properties: { SignatureVersion: "2" } });
    expect(resource("CommandsTopic")).toMatchObject({ Type: "AWS::SNS::Topic", Properties: { SignatureVersion: "2" } });
    expect(resource("CommandsSubscription").Type).toBe("AWS::SNS::Subscription");
    expect(template.Parameters.WorkerHookUrl).toMatchObject({ Type: "String" });
  });

  it("lets the Scheduler execution role do one thing: publish to the commands topic, for this account's group only", () => {
    const role = resource("SchedulerRole").Properties;
    const [trust] = statements(template).filter((s) => s.where.startsWith("SchedulerRole trust"));
    expect(trust?.statement).toMatchObject({
      Principal: { Service: "scheduler.amazonaws.com" },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
        ArnLike: { "aws:SourceArn": { "Fn::Sub": GROUP_SCHEDULES } },
      },
    });
    const own = identity.filter((s) => s.where.startsWith("SchedulerRole/"));
    expect(own.map((s) => [s.statement.Effect, s.statement.Action, s.statement.Resource])).toEqual([
      ["Allow", "sns:Publish", { Ref: "CommandsTopic" }],
      // Issue 13: a fire that fails every retry goes to the dead-letter queue instead of vanishing.
      ["Allow", "sqs:SendMessage", { "Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"] }],
    ]);
    expect(role.ManagedPolicyArns).toBeUndefined();
  });

  it("gives the Worker user exactly: publish to both topics, the Scheduler actions on its group, PassRole of the execution role", () => {
    expect(resource("WorkerUser").Type).toBe("AWS::IAM::User");
    expect(resource("WorkerPolicy").Properties.Users).toEqual([{ Ref: "WorkerUser" }]);
    const granted = identity
      .filter((s) => s.where.startsWith("WorkerPolicy"))
      .flatMap(({ statement: s }) => list(s.Action).flatMap((a) => list(s.Resource as unknown).map((r) => [a, r])));
    const group = { "Fn::Sub": GROUP_SCHEDULES };
    expect(granted).toEqual([
      ["sns:Publish", { Ref: "AlertsTopic" }],
      ["sns:Publish", { Ref: "CommandsTopic" }],
      ["scheduler:CreateSchedule", group],
      ["scheduler:UpdateSchedule", group],
      ["scheduler:GetSchedule", group],
      ["scheduler:DeleteSchedule", group],
      ["scheduler:GetScheduleGroup", { "Fn::Sub": GROUP_ARN }],
      ["scheduler:ListSchedules", "*"],
      ["iam:PassRole", { "Fn::GetAtt": ["SchedulerRole", "Arn"] }],
    ]);
    const pass = identity.find((s) => list(s.statement.Action).includes("iam:PassRole"));
    expect(pass?.statement.Condition).toEqual({ StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } });
    expect(identity.every((s) => s.statement.Effect === "Allow")).toBe(true);
  });

  it("forwards the Scheduler's dead letters to the commands topic, where the Worker turns each into an alert", () => {
    expect(resource("SchedulerDeadLetterQueue")).toMatchObject({ Type: "AWS::SQS::Queue" });
    expect(resource("DeadLetterPipe")).toMatchObject({
      Type: "AWS::Pipes::Pipe",
      Properties: {
        Source: { "Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"] },
        Target: { Ref: "CommandsTopic" },
        RoleArn: { "Fn::GetAtt": ["DeadLetterPipeRole", "Arn"] },
      },
    });
    const own = identity.filter((s) => s.where.startsWith("DeadLetterPipeRole/"));
    expect(own.flatMap(({ statement: s }) => list(s.Action).map((a) => [a, s.Resource]))).toEqual([
      ["sqs:ReceiveMessage", { "Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"] }],
      ["sqs:DeleteMessage", { "Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"] }],
      ["sqs:GetQueueAttributes", { "Fn::GetAtt": ["SchedulerDeadLetterQueue", "Arn"] }],
      ["sns:Publish", { Ref: "CommandsTopic" }],
    ]);
  });

  it("creates the guardrail's schedule group and outputs the values the policy needs", () => {
    expect(resource("ScheduleGroup")).toMatchObject({
      Type: "AWS::Scheduler::ScheduleGroup",
      Properties: { Name: { Ref: "ScheduleGroupName" } },
    });
    expect(template.Parameters.ScheduleGroupName?.Default).toBe("budget-guardrail"); // schedules.group's default
    expect(Object.keys(template.Outputs)).toEqual([
      "AlertsTopicArn",
      "CommandsTopicArn",
      "SchedulerRoleArn",
      "SchedulerDeadLetterQueueArn",
      "ScheduleGroupName",
      "WorkerUserName",
    ]);
  });
});
