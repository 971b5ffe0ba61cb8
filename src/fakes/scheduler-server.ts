// A local stand-in for EventBridge Scheduler (scheduler.<region>.amazonaws.com): the REST-JSON
// routes, shapes, status codes and error types the real @aws-sdk/client-scheduler speaks, so
// tests and `npm start` run the shipping sync code. Requests must carry a SigV4 Authorization
// header for the `scheduler` service, as the real endpoint demands.
//
// Scheduler routes (API reference: CreateSchedule, UpdateSchedule, GetSchedule, DeleteSchedule,
// ListSchedules, CreateScheduleGroup, GetScheduleGroup):
//   POST   /schedules/{Name}            create; 409 ConflictException when it exists
//   PUT    /schedules/{Name}            replace; 404 ResourceNotFoundException when missing
//   GET    /schedules/{Name}?groupName= the full schedule
//   DELETE /schedules/{Name}?groupName= 404 when missing
//   GET    /schedules?ScheduleGroup=&NamePrefix=&State=&MaxResults=&NextToken=   summaries, paged
//   POST   /schedule-groups/{Name}      create; 409 when it exists
//   GET    /schedule-groups/{Name}      404 when missing
// A schedule's group must exist (404 otherwise), except "default", which always does.
// Errors: the status, header x-amzn-errortype and body {"Message"} (ValidationException 400,
// ResourceNotFoundException 404, ConflictException 409, ThrottlingException 429).
//
// Admin API (no auth), state per schedule group so parallel test files never meet:
//   GET  /_sim/calls?group=               {calls: [{operation, name, group, at}]} (Scheduler calls only)
//   POST /_sim/reset?group=               forget the group, its schedules and calls
//   POST /_sim/faults                     {faults: [{operation, status, type, times}]}  next calls fail
//   GET  /_sim/fire?group=&name=&time=    the target Input as Scheduler would send it at `time` (ISO),
//                                         with the context attributes replaced: {arn, roleArn, input}
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./http-body.ts";

interface Schedule {
  Arn: string;
  Name: string;
  GroupName: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  State: string;
  Description?: string;
  FlexibleTimeWindow: { Mode: string; MaximumWindowInMinutes?: number };
  Target: {
    Arn: string;
    RoleArn: string;
    Input?: string;
    RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
    /** Scheduler API Reference, DeadLetterConfig: the SQS queue ARN for fires that failed every retry */
    DeadLetterConfig?: { Arn?: string };
  };
  StartDate?: number;
  EndDate?: number;
  ActionAfterCompletion?: string;
  CreationDate: number;
  LastModificationDate: number;
}

interface Group {
  Arn: string;
  Name: string;
  State: "ACTIVE";
  CreationDate: number;
  LastModificationDate: number;
}

export interface SchedulerCall {
  operation: string;
  name: string | null;
  group: string;
  at: number;
}

export interface SchedulerFault {
  operation: string;
  status: number;
  type: string;
  /** how many calls fail; default 1 */
  times?: number;
}

export interface SchedulerServer {
  url: string;
  close(): Promise<void>;
}

export interface SchedulerServerOptions {
  port?: number;
  region?: string;
  account?: string;
  now?: () => number;
}

const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
const EXPRESSION = /^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$/;
const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", "x-amzn-requestid": crypto.randomUUID(), ...headers });
  res.end(JSON.stringify(body));
}

export async function startSchedulerServer(options: SchedulerServerOptions = {}): Promise<SchedulerServer> {
  const region = options.region ?? "us-east-1";
  const account = options.account ?? "123456789012";
  const now = options.now ?? Date.now;
  const groups = new Map<string, Group>();
  const schedules = new Map<string, Schedule>(); // key: group \n name
  const calls: SchedulerCall[] = [];
  let faults: Array<Required<SchedulerFault>> = [];
  const key = (group: string, name: string) => `${group}\n${name}`;
  const seconds = () => Math.floor(now() / 1000);

  function group(name: string): Group | undefined {
    if (name === "default" && !groups.has(name)) {
      groups.set(name, {
        Arn: `arn:aws:scheduler:${region}:${account}:schedule-group/default`,
        Name: "default",
        State: "ACTIVE",
        CreationDate: 0,
        LastModificationDate: 0,
      });
    }
    return groups.get(name);
  }

  function validate(name: string, body: Record<string, unknown>): void {
    if (!NAME.test(name)) throw new ApiError(400, "ValidationException", `Name ${name} must satisfy ${NAME}`);
    const expr = body.ScheduleExpression;
    if (typeof expr !== "string" || !EXPRESSION.test(expr)) {
      throw new ApiError(400, "ValidationException", `Invalid Schedule Expression ${String(expr)}.`);
    }
    if (expr.startsWith("cron(")) {
      const f = expr.slice(5, -1).split(" ");
      if ((f[2] === "?") === (f[4] === "?")) {
        throw new ApiError(
          400,
          "ValidationException",
          "Invalid Schedule Expression: exactly one of day-of-month and day-of-week must be ?.",
        );
      }
    }
    const tz = body.ScheduleExpressionTimezone;
    if (tz !== undefined && (typeof tz !== "string" || !isTimeZone(tz))) {
      throw new ApiError(400, "ValidationException", `Invalid ScheduleExpressionTimezone ${String(tz)}.`);
    }
    const target = body.Target as Record<string, unknown> | undefined;
    if (!target || typeof target.Arn !== "string" || typeof target.RoleArn !== "string") {
      throw new ApiError(400, "ValidationException", "Target.Arn and Target.RoleArn are required.");
    }
    const dlq = target.DeadLetterConfig as Record<string, unknown> | undefined;
    // The API's pattern for DeadLetterConfig.Arn (API_DeadLetterConfig): an SQS queue ARN.
    if (dlq !== undefined && (typeof dlq.Arn !== "string" || !/^arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]+$/.test(dlq.Arn))) {
      throw new ApiError(400, "ValidationException", "Target.DeadLetterConfig.Arn must be an SQS queue ARN.");
    }
    const ftw = body.FlexibleTimeWindow as Record<string, unknown> | undefined;
    if (!ftw || (ftw.Mode !== "OFF" && ftw.Mode !== "FLEXIBLE")) {
      throw new ApiError(400, "ValidationException", "FlexibleTimeWindow.Mode must be OFF or FLEXIBLE.");
    }
    const state = body.State ?? "ENABLED";
    if (state !== "ENABLED" && state !== "DISABLED") throw new ApiError(400, "ValidationException", `Invalid State ${String(state)}.`);
  }

  function store(name: string, body: Record<string, unknown>, created: number | null): Schedule {
    const groupName = typeof body.GroupName === "string" ? body.GroupName : "default";
    const s: Schedule = {
      Arn: `arn:aws:scheduler:${region}:${account}:schedule/${groupName}/${name}`,
      Name: name,
      GroupName: groupName,
      ScheduleExpression: body.ScheduleExpression as string,
      State: (body.State as string | undefined) ?? "ENABLED",
      FlexibleTimeWindow: body.FlexibleTimeWindow as Schedule["FlexibleTimeWindow"],
      Target: body.Target as Schedule["Target"],
      CreationDate: created ?? seconds(),
      LastModificationDate: seconds(),
    };
    for (const k of ["ScheduleExpressionTimezone", "Description", "StartDate", "EndDate", "ActionAfterCompletion"] as const) {
      if (body[k] !== undefined) (s as unknown as Record<string, unknown>)[k] = body[k];
    }
    schedules.set(key(groupName, name), s);
    return s;
  }

  function api(method: string, url: URL, segments: string[], body: Record<string, unknown>): { status: number; payload: unknown } {
    const [root, rawName] = segments;
    const name = rawName ?? null;
    const operation =
      root === "schedule-groups"
        ? method === "POST"
          ? "CreateScheduleGroup"
          : "GetScheduleGroup"
        : name === null
          ? "ListSchedules"
          : ({ POST: "CreateSchedule", PUT: "UpdateSchedule", GET: "GetSchedule", DELETE: "DeleteSchedule" } as Record<string, string>)[
              method
            ];
    if (!operation || (root !== "schedules" && root !== "schedule-groups"))
      throw new ApiError(404, "UnknownOperationException", "Not found");
    const groupName =
      root === "schedule-groups"
        ? (name ?? "")
        : ((body.GroupName as string | undefined) ??
          url.searchParams.get("groupName") ??
          url.searchParams.get("ScheduleGroup") ??
          "default");
    calls.push({ operation, name: root === "schedules" ? name : null, group: groupName, at: now() });
    const fault = faults.find((f) => f.operation === operation);
    if (fault) {
      fault.times--;
      faults = faults.filter((f) => f.times > 0);
      throw new ApiError(fault.status, fault.type, `injected ${fault.type}`);
    }

    if (root === "schedule-groups") {
      if (operation === "CreateScheduleGroup") {
        if (!NAME.test(groupName)) throw new ApiError(400, "ValidationException", `Name ${groupName} must satisfy ${NAME}`);
        if (group(groupName)) throw new ApiError(409, "ConflictException", `Schedule group ${groupName} already exists.`);
        const g: Group = {
          Arn: `arn:aws:scheduler:${region}:${account}:schedule-group/${groupName}`,
          Name: groupName,
          State: "ACTIVE",
          CreationDate: seconds(),
          LastModificationDate: seconds(),
        };
        groups.set(groupName, g);
        return { status: 200, payload: { ScheduleGroupArn: g.Arn } };
      }
      const g = group(groupName);
      if (!g) throw new ApiError(404, "ResourceNotFoundException", `Schedule group ${groupName} does not exist.`);
      return { status: 200, payload: g };
    }

    if (operation === "ListSchedules") {
      const prefix = url.searchParams.get("NamePrefix") ?? "";
      const state = url.searchParams.get("State");
      const wanted = url.searchParams.get("ScheduleGroup");
      const max = Math.min(100, Number(url.searchParams.get("MaxResults") ?? 100));
      const start = Number(url.searchParams.get("NextToken") ?? 0);
      const all = [...schedules.values()]
        .filter((s) => (wanted === null || s.GroupName === wanted) && s.Name.startsWith(prefix) && (state === null || s.State === state))
        .sort((a, b) => a.Name.localeCompare(b.Name));
      const page = all.slice(start, start + max);
      return {
        status: 200,
        payload: {
          Schedules: page.map((s) => ({
            Arn: s.Arn,
            Name: s.Name,
            GroupName: s.GroupName,
            State: s.State,
            CreationDate: s.CreationDate,
            LastModificationDate: s.LastModificationDate,
            Target: { Arn: s.Target.Arn },
          })),
          ...(start + max < all.length ? { NextToken: String(start + max) } : {}),
        },
      };
    }

    const n = name as string;
    if (!group(groupName)) throw new ApiError(404, "ResourceNotFoundException", `Schedule group ${groupName} does not exist.`);
    const existing = schedules.get(key(groupName, n));
    switch (operation) {
      case "CreateSchedule":
        validate(n, body);
        if (existing) throw new ApiError(409, "ConflictException", `Schedule ${n} already exists.`);
        return { status: 200, payload: { ScheduleArn: store(n, body, null).Arn } };
      case "UpdateSchedule":
        validate(n, body);
        if (!existing) throw new ApiError(404, "ResourceNotFoundException", `Schedule ${n} does not exist.`);
        return { status: 200, payload: { ScheduleArn: store(n, body, existing.CreationDate).Arn } };
      case "GetSchedule":
        if (!existing) throw new ApiError(404, "ResourceNotFoundException", `Schedule ${n} does not exist.`);
        return { status: 200, payload: existing };
      default:
        if (!existing) throw new ApiError(404, "ResourceNotFoundException", `Schedule ${n} does not exist.`);
        schedules.delete(key(groupName, n));
        return { status: 200, payload: {} };
    }
  }

  function admin(method: string, url: URL, segments: string[], body: Record<string, unknown>): { status: number; payload: unknown } {
    const g = url.searchParams.get("group");
    switch (`${method} ${segments[1] ?? ""}`) {
      case "GET calls":
        return { status: 200, payload: { calls: calls.filter((c) => g === null || c.group === g) } };
      case "POST reset":
        for (const [k, s] of schedules) if (s.GroupName === g) schedules.delete(k);
        if (g !== null) groups.delete(g);
        for (let i = calls.length - 1; i >= 0; i--) if (calls[i]?.group === g) calls.splice(i, 1);
        return { status: 200, payload: {} };
      case "POST faults":
        for (const f of (body.faults as SchedulerFault[] | undefined) ?? []) faults.push({ ...f, times: f.times ?? 1 });
        return { status: 200, payload: {} };
      case "GET fire": {
        const s = schedules.get(key(g ?? "default", url.searchParams.get("name") ?? ""));
        if (!s) return { status: 404, payload: { Message: "no such schedule" } };
        const time = url.searchParams.get("time") ?? new Date(now()).toISOString();
        const input = (s.Target.Input ?? "")
          .replaceAll("<aws.scheduler.scheduled-time>", time.replace(/\.\d{3}Z$/, "Z"))
          .replaceAll("<aws.scheduler.execution-id>", crypto.randomUUID().replaceAll("-", "").slice(0, 16))
          .replaceAll("<aws.scheduler.schedule-arn>", s.Arn)
          .replaceAll("<aws.scheduler.attempt-number>", "1");
        return { status: 200, payload: { arn: s.Target.Arn, roleArn: s.Target.RoleArn, input } };
      }
      default:
        return { status: 404, payload: { Message: "unknown admin route" } };
    }
  }

  const server = createServer((req, res) => {
    (async () => {
      const url = new URL(req.url ?? "/", "http://scheduler");
      const segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      const text = await readBody(req);
      let body: Record<string, unknown> = {};
      if (text) {
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          throw new ApiError(400, "SerializationException", "body is not JSON");
        }
      }
      const method = req.method ?? "GET";
      if (segments[0] === "_sim") {
        const r = admin(method, url, segments, body);
        return send(res, r.status, r.payload);
      }
      const auth = SIGV4.exec(req.headers.authorization ?? "");
      if (!auth) throw new ApiError(403, "UnrecognizedClientException", "Missing or malformed SigV4 Authorization header.");
      if (auth[2] !== "scheduler") throw new ApiError(403, "InvalidSignatureException", `Credential scope names service ${auth[2]}.`);
      const r = api(method, url, segments, body);
      return send(res, r.status, r.payload);
    })().catch((err: unknown) => {
      const e = err instanceof ApiError ? err : new ApiError(500, "InternalServerException", String(err));
      send(
        res,
        e.status,
        { Message: e.message },
        { "x-amzn-errortype": `${e.type}:http://internal.amazon.com/coral/com.amazonaws.chronos/` },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
