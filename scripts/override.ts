// `npm run override -- <command> ...`: builds an override request, signs it with
// OVERRIDE_SIGNING_SECRET (X-Guardrail-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">)
// and sends it to the guardrail at GUARDRAIL_URL. `--print` shows the request instead of sending it.
import { userInfo } from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { OVERRIDE_SIGNATURE_HEADER, signOverride } from "../src/security/index.ts";

export const USAGE = `usage: npm run override -- <command> [--reason TEXT] [--actor NAME] [--url URL] [--print]

  suspend <namespace/name | *> <duration | until>     no automatic actions until then (alerts continue)
  raise [budget] <usd | percent%> <duration | until>  a higher budget for today: raise 300 4h, raise 50% 2h;
                                                      a named budget (budgets:): raise search 4000 4h
  force <scale_down|reroute|pause|restore> <namespace/name | *> <duration | until>
                                                      run one action now; the guardrail leaves the endpoint alone until then
  ack <dedup key> <duration | until>                  silence one alert condition
  approve <namespace/name> <scale_down|reroute|pause> let an action waiting for approval run
  reject <namespace/name> <scale_down|reroute|pause>  refuse it for today
  end <override id>                                   end an override early
  list                                                active overrides and pending approvals (needs READ_TOKEN)

A duration is 30m, 2h, 1h30m or 1d; an until is an ISO time such as 2026-05-01T18:00:00Z.
Environment: GUARDRAIL_URL (default http://127.0.0.1:8787), OVERRIDE_SIGNING_SECRET, READ_TOKEN,
GUARDRAIL_ACTOR (default $USER).`;

export interface CliRequest {
  method: "GET" | "POST" | "DELETE";
  path: string;
  /** JSON text, exactly as signed and sent; null for GET */
  body: string | null;
}

/** `2h` stays a duration, an ISO time becomes `until`. */
const when = (arg: string) => (/^\d{4}-\d{2}-\d{2}T/.test(arg) ? { until: arg } : { duration: arg });

export function buildRequest(argv: readonly string[], env: Record<string, string | undefined>): CliRequest | { error: string } {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  const { values, positionals } = parsed;
  const [command, a, b, c] = positionals;
  const actor = values.actor ?? env.GUARDRAIL_ACTOR ?? env.USER ?? "";
  const reason = values.reason ?? "";
  const post = (body: Record<string, unknown>): CliRequest => ({
    method: "POST",
    path: "/v1/overrides",
    body: JSON.stringify({ ...body, reason, actor }),
  });
  const need = (n: number, what: string) => (positionals.length - 1 < n ? { error: `${command} needs ${what}\n\n${USAGE}` } : null);
  switch (command) {
    case "suspend":
      return need(2, "an endpoint and a duration") ?? post({ op: "suspend", endpoint: a, ...when(b ?? "") });
    case "raise": {
      const missing = need(2, "an amount and a duration");
      if (missing) return missing;
      // An optional budget name first: a name never reads as an amount.
      const isAmount = (x: string | undefined) => /^\$?\d+(?:\.\d+)?%?$/.test(x ?? "");
      const named = positionals.length > 3 && !isAmount(a) && isAmount(b);
      const [howMuch, until] = named ? [b, c] : [a, b];
      const pct = /^(\d+(?:\.\d+)?)%$/.exec(howMuch ?? "");
      const amount = pct ? { percent: Number(pct[1]) } : { budget_usd: Number((howMuch ?? "").replace(/^\$/, "")) };
      return post({ op: "raise_budget", ...(named ? { budget: a } : {}), ...amount, ...when(until ?? "") });
    }
    case "force":
      return need(3, "an action, an endpoint and a duration") ?? post({ op: "force", action: a, endpoint: b, ...when(c ?? "") });
    case "ack":
      return need(2, "a dedup key and a duration") ?? post({ op: "ack", dedup_key: a, ...when(b ?? "") });
    case "approve":
    case "reject":
      return need(2, "an endpoint and an action") ?? post({ op: command, endpoint: a, action: b });
    case "end":
      return (
        need(1, "an override id") ?? {
          method: "DELETE",
          path: `/v1/overrides/${encodeURIComponent(a ?? "")}`,
          body: JSON.stringify({ id: a, actor, ...(values.reason ? { reason } : {}) }),
        }
      );
    case "list":
      return { method: "GET", path: "/v1/overrides", body: null };
    default:
      return { error: `${command ? `unknown command "${command}"` : "no command"}\n\n${USAGE}` };
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      reason: { type: "string" },
      actor: { type: "string" },
      url: { type: "string" },
      print: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.length === 0) {
    console.log(USAGE);
    return argv.length === 0 ? 1 : 0;
  }
  const req = buildRequest(argv, { ...process.env, USER: process.env.USER || userInfo().username });
  if ("error" in req) {
    console.error(req.error);
    return 2;
  }
  const base = (parse(argv).values.url ?? process.env.GUARDRAIL_URL ?? "http://127.0.0.1:8787").replace(/\/$/, "");
  const headers: Record<string, string> = {};
  if (req.body !== null) {
    const secret = process.env.OVERRIDE_SIGNING_SECRET;
    if (!secret) {
      console.error("OVERRIDE_SIGNING_SECRET is not set: export it (the same value as the Worker's secret)");
      return 2;
    }
    headers["Content-Type"] = "application/json";
    headers[OVERRIDE_SIGNATURE_HEADER] = await signOverride(secret, req.body, Date.now() / 1000);
  } else if (process.env.READ_TOKEN) {
    headers.Authorization = `Bearer ${process.env.READ_TOKEN}`;
  }
  if (parse(argv).values.print) {
    console.log(`${req.method} ${base}${req.path}`);
    for (const [k, v] of Object.entries(headers)) console.log(`${k}: ${v}`);
    if (req.body !== null) console.log(`\n${req.body}`);
    return 0;
  }
  let res: Response;
  try {
    res = await fetch(`${base}${req.path}`, { method: req.method, headers, ...(req.body === null ? {} : { body: req.body }) });
  } catch (err) {
    console.error(`could not reach ${base}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const text = await res.text();
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: show as is
  }
  (res.ok ? console.log : console.error)(`${res.status} ${res.statusText}\n${shown}`);
  return res.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => process.exit(code));
}
