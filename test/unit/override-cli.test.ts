// `npm run override`: what each command sends, and that a real run signs it so the Worker's
// verifier accepts it (checked by a local server standing in for the Worker).
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { buildRequest } from "../../scripts/override.ts";
import { verifyOverrideSignature } from "../../src/security/index.ts";

const env = { USER: "alice" };
const body = (argv: string[]) => {
  const r = buildRequest(argv, env);
  if ("error" in r) throw new Error(r.error);
  return r.body === null ? null : JSON.parse(r.body);
};

describe("npm run override", () => {
  it.each([
    [
      ["suspend", "acme/llm", "2h", "--reason", "load test"],
      { op: "suspend", endpoint: "acme/llm", duration: "2h", reason: "load test", actor: "alice" },
    ],
    [
      ["suspend", "*", "2026-05-01T18:00:00Z", "--actor", "bob"],
      { op: "suspend", endpoint: "*", until: "2026-05-01T18:00:00Z", reason: "", actor: "bob" },
    ],
    [["raise", "300", "4h"], { op: "raise_budget", budget_usd: 300, duration: "4h", reason: "", actor: "alice" }],
    [["raise", "$250", "4h"], { op: "raise_budget", budget_usd: 250, duration: "4h", reason: "", actor: "alice" }],
    [["raise", "50%", "2h"], { op: "raise_budget", percent: 50, duration: "2h", reason: "", actor: "alice" }],
    [
      ["raise", "search", "4000", "4h"],
      { op: "raise_budget", budget: "search", budget_usd: 4000, duration: "4h", reason: "", actor: "alice" },
    ],
    [["raise", "chat", "50%", "2h"], { op: "raise_budget", budget: "chat", percent: 50, duration: "2h", reason: "", actor: "alice" }],
    [
      ["force", "restore", "acme/llm", "1h"],
      { op: "force", action: "restore", endpoint: "acme/llm", duration: "1h", reason: "", actor: "alice" },
    ],
    [
      ["ack", "2026-05-01:hourly_burn:acme/llm", "8h"],
      { op: "ack", dedup_key: "2026-05-01:hourly_burn:acme/llm", duration: "8h", reason: "", actor: "alice" },
    ],
    [
      ["approve", "acme/llm", "pause", "--reason", "ok"],
      { op: "approve", endpoint: "acme/llm", action: "pause", reason: "ok", actor: "alice" },
    ],
    [["end", "ovr_abc"], { id: "ovr_abc", actor: "alice" }],
  ])("%j sends the right body", (argv, expected) => {
    expect(body(argv)).toEqual(expected);
  });

  it("ends with DELETE on the id, lists with GET, and explains what is missing", () => {
    expect(buildRequest(["end", "ovr_abc"], env)).toMatchObject({ method: "DELETE", path: "/v1/overrides/ovr_abc" });
    expect(buildRequest(["list"], env)).toEqual({ method: "GET", path: "/v1/overrides", body: null });
    expect(buildRequest(["suspend", "acme/llm"], env)).toMatchObject({
      error: expect.stringContaining("suspend needs an endpoint and a duration"),
    });
    expect(buildRequest(["explode"], env)).toMatchObject({ error: expect.stringContaining('unknown command "explode"') });
    expect(buildRequest(["suspend", "--nope"], env)).toMatchObject({ error: expect.stringContaining("nope") });
  });

  it("signs what it sends so the Worker's verifier accepts it", async () => {
    const seen: Array<{ method: string; url: string; signature: string; body: string }> = [];
    const server = createServer((req: IncomingMessage, res) => {
      let b = "";
      req.on("data", (chunk) => (b += chunk));
      req.on("end", () => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", signature: String(req.headers["x-guardrail-signature"]), body: b });
        res.writeHead(201, { "Content-Type": "application/json" });
        res.end('{"override":{"id":"ovr_x"}}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const code = await new Promise<number>((resolve) => {
        const child = spawn(
          process.execPath,
          ["--import", "tsx", "scripts/override.ts", "suspend", "acme/llm", "2h", "--reason", "cli test"],
          {
            env: { ...process.env, GUARDRAIL_URL: url, OVERRIDE_SIGNING_SECRET: "cli-secret", GUARDRAIL_ACTOR: "ci" },
            stdio: "ignore",
          },
        );
        child.on("exit", (c) => resolve(c ?? 1));
      });
      expect(code).toBe(0);
      const [got] = seen;
      expect(got).toMatchObject({ method: "POST", url: "/v1/overrides" });
      expect(JSON.parse(got?.body ?? "")).toMatchObject({ op: "suspend", actor: "ci", reason: "cli test" });
      const check = await verifyOverrideSignature({
        secret: "cli-secret",
        header: got?.signature,
        body: got?.body ?? "",
        nowSeconds: Date.now() / 1000,
      });
      expect(check.ok).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
