// Runs guard ticks inside workerd from Node: bundles src/sim/tick-worker.ts with esbuild, starts it in
// Miniflare with a fresh local D1 (the real migrations from infra/migrations applied) and points its
// HF client at the emulator. One request per tick. Why not Miniflare's D1 proxy from Node: a query
// through it took about 15 ms on the reference machine, against about 1.5 ms inside workerd.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { SimTick } from "./tick-worker.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface TickHostOptions {
  hfBase: string;
  hfToken: string;
}

export interface TickHost {
  /** One guard tick at virtual time `now` under `policy` (validated inside, as the Worker does). */
  tick(now: number, policy: unknown): Promise<SimTick>;
  close(): Promise<void>;
}

/** The compatibility date and flags the Worker deploys with, so the simulated tick runs under the same runtime. */
function runtimeOf(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(`${ROOT}wrangler.toml`, "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return { compatibilityDate: date, compatibilityFlags: [...(flags ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1] as string) };
}

let bundled: Promise<string> | undefined;

/** The tick worker as one ES module (built once per process). */
function bundle(): Promise<string> {
  bundled ??= import("esbuild")
    .then(({ build }) =>
      build({
        entryPoints: [`${ROOT}src/sim/tick-worker.ts`],
        bundle: true,
        format: "esm",
        platform: "browser",
        conditions: ["workerd", "worker", "browser"],
        target: "es2022",
        write: false,
        logLevel: "silent",
      }),
    )
    .then((out) => out.outputFiles[0]?.text ?? "");
  return bundled;
}

export async function startTickHost(options: TickHostOptions): Promise<TickHost> {
  // Imported here, not at the top: they are heavy, and a CLI run that stops at a bad trace never needs them.
  const [{ Miniflare }, { readD1Migrations }] = await Promise.all([import("miniflare"), import("@cloudflare/vitest-pool-workers")]);
  const [script, migrations] = await Promise.all([bundle(), readD1Migrations(`${ROOT}infra/migrations`)]);
  const mf = new Miniflare({
    modules: true,
    script,
    ...runtimeOf(),
    d1Databases: ["DB"],
    ...(process.env.SIM_PERSIST ? { d1Persist: process.env.SIM_PERSIST } : {}),
    bindings: { HF_API_BASE: options.hfBase, HF_TOKEN: options.hfToken },
  });
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await mf.dispatchFetch(`http://sim${path}`, { method: "POST", body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`tick worker ${path}: ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  };
  try {
    await post("/migrate", migrations);
  } catch (error) {
    await mf.dispose();
    throw error;
  }
  return {
    tick: (now, policy) => post<SimTick>("/tick", { now, policy }),
    close: () => mf.dispose(),
  };
}
