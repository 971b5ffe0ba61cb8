// The deployed bundle: its size (gzip) from `wrangler deploy --dry-run`, and the Worker's startup time.
// A dry run does not print a startup time (wrangler prints "Worker Startup Time" only from the API's
// answer to a real deploy), so startup is measured with `wrangler check startup`: it builds the same
// bundle with `deploy --dry-run` and profiles the evaluation of its top-level scope in local workerd.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { SummaryRow } from "./run.ts";

const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1", FORCE_COLOR: "0" };
/** Workers limits (shared/reference/workers-platform.md §2). */
const LIMITS = { gzipFreeKiB: 3 * 1024, gzipPaidKiB: 10 * 1024, startupMs: 1000 };

function wrangler(args: string[]): string {
  const res = spawnSync("npx", ["wrangler", ...args], { env, encoding: "utf8", timeout: 180_000 });
  if (res.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${res.stdout}\n${res.stderr}`);
  return `${res.stdout}\n${res.stderr}`;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string } }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export default async function bundleBench() {
  const dir = mkdtempSync(join(tmpdir(), "guardrail-bundle-"));
  try {
    const out = wrangler(["deploy", "--dry-run", "--outdir", join(dir, "dist")]);
    const line = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(out);
    if (!line) throw new Error(`no "Total Upload" line in wrangler's output:\n${out}`);
    // wrangler also writes a README.md into the outdir; it is not part of the upload.
    const files = readdirSync(join(dir, "dist")).filter((f) => !f.endsWith(".map") && f !== "README.md");
    const raw = files.reduce((sum, f) => sum + statSync(join(dir, "dist", f)).size, 0);
    const gz = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(dir, "dist", f))).length, 0);

    const profilePath = join(dir, "startup.cpuprofile");
    wrangler(["check", "startup", "--outfile", profilePath]);
    const profile = JSON.parse(readFileSync(profilePath, "utf8")) as CpuProfile;
    const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
    // Sampled time spent running (not idle) while workerd imported the bundle.
    const busyUs = profile.samples.reduce((sum, id, i) => sum + (idle.has(id) ? 0 : (profile.timeDeltas[i] ?? 0)), 0);
    const result = {
      wrangler_total_kib: Number(line[1]),
      wrangler_gzip_kib: Number(line[2]),
      files,
      raw_bytes: raw,
      gzip_bytes: gz,
      startup_profile_ms: Number(((profile.endTime - profile.startTime) / 1000).toFixed(1)),
      startup_busy_ms: Number((busyUs / 1000).toFixed(1)),
      limits: LIMITS,
    };
    console.log(
      `bundle: ${result.wrangler_total_kib} KiB, gzip ${result.wrangler_gzip_kib} KiB (wrangler deploy --dry-run); our own gzip of ${files.join(", ")}: ${(gz / 1024).toFixed(1)} KiB`,
    );
    console.log(
      `startup (wrangler check startup, local workerd): ${result.startup_busy_ms} ms sampled busy, ${result.startup_profile_ms} ms profiled in all; limit ${LIMITS.startupMs} ms`,
    );
    const summary: SummaryRow[] = [
      {
        metric: "bundle size (wrangler deploy --dry-run)",
        value: `${result.wrangler_total_kib} KiB, gzip ${result.wrangler_gzip_kib} KiB`,
        target: "gzip < 3 MiB (Free)",
        ok: result.wrangler_gzip_kib < LIMITS.gzipFreeKiB,
      },
      {
        metric: "startup (wrangler check startup: CPU profile of the top-level scope, local)",
        value: `${result.startup_busy_ms} ms busy (${result.startup_profile_ms} ms profiled)`,
        target: "< 1 s (platform limit)",
        ok: result.startup_profile_ms < LIMITS.startupMs,
      },
    ];
    return { ...result, summary };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
