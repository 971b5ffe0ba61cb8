// Runs the Worker under `wrangler dev` (workerd + a local D1 with the real migrations) in its own
// process group, for `npm start` and the end-to-end tests: pick free ports, apply migrations,
// start, wait until it answers, stop.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createServer } from "node:net";

export const wranglerEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface WranglerDevOptions {
  /** where the local D1 lives (--persist-to) */
  stateDir: string;
  /** wrangler's output goes here */
  logFile: string;
  /** --var NAME:value for each entry */
  vars: Record<string, string>;
  /** a path that answers 2xx once the Worker is up */
  readyPath?: string;
  timeoutMs?: number;
}

export interface WranglerDev {
  base: string;
  process: ChildProcess;
  /** resolves once the Worker answers; rejects (and stops wrangler) if it exits or never answers */
  ready: Promise<void>;
  /** the scheduled handler at `time` (ms), as the cron would call it; resolves to wrangler's answer (`ok`) */
  tick(time: number, cron?: string): Promise<string>;
  stop(): void;
}

function applyMigrations(stateDir: string) {
  const res = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "budget-guardrail", "--local", "--persist-to", stateDir], {
    env: wranglerEnv,
    encoding: "utf8",
  });
  if (res.status !== 0) {
    console.error(res.stdout, res.stderr);
    throw new Error("could not apply the D1 migrations locally (output above)");
  }
}

/** Starts wrangler dev; await `ready` before using it (stop() works at once, e.g. on Ctrl-C). */
export async function startWranglerDev(o: WranglerDevOptions): Promise<WranglerDev> {
  applyMigrations(o.stateDir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = createWriteStream(o.logFile);
  const args = ["wrangler", "dev", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(await freePort())];
  args.push("--persist-to", o.stateDir);
  for (const [name, value] of Object.entries(o.vars)) args.push("--var", `${name}:${value}`);
  // Its own process group, so stop() ends wrangler and the workerd it started.
  const child = spawn("npx", args, { env: wranglerEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const stop = () => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  const ready = waitUntilUp(`${base}${o.readyPath ?? "/v1/status"}`, child, o.logFile, o.timeoutMs ?? 90_000).catch((err) => {
    stop();
    throw err;
  });
  return {
    base,
    process: child,
    ready,
    stop,
    tick: async (time, cron = "* * * * *") =>
      (await (await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron)}&time=${time}`)).text()).trim(),
  };
}

async function waitUntilUp(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}; see ${logFile}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not answer within ${timeoutMs / 1000} s; see ${logFile}`);
}
