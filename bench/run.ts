// `npm run bench`: runs every bench/*.bench.ts, merges their results into bench/results.json and prints
// one summary table. `npm run bench -- engine tick` runs only those; `--update-docs` also rewrites the
// table between the bench markers in docs/benchmarks.md; `--no-run` runs nothing (with `--update-docs`:
// the table from bench/results.json as it is, say after a merge).
//
// A bench file's default export is an async function returning a JSON-able object; it prints its own
// table as it goes. Rows it puts in `summary` ({ metric, value, target?, ok? }) make the combined table.
// The exit code is 1 only when a bench fails to run; a missed target is reported in the table.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface SummaryRow {
  metric: string;
  value: string;
  target?: string;
  ok?: boolean;
}

const DIR = fileURLToPath(new URL(".", import.meta.url));
const RESULTS = join(DIR, "results.json");
const DOC = join(DIR, "..", "docs", "benchmarks.md");
const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    load_average_at_start: os.loadavg().map((l) => Number(l.toFixed(2))),
    date: new Date().toISOString(),
  };
}

function summaryOf(result: unknown): SummaryRow[] {
  if (result && typeof result === "object" && Array.isArray((result as { summary?: unknown }).summary)) {
    return (result as { summary: SummaryRow[] }).summary;
  }
  return [{ metric: "no summary rows: its own table is printed when it runs, its figures are in bench/results.json", value: "" }];
}

/** A Markdown table padded as the repository's formatter (biome) writes them. */
function markdownTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

type Machine = ReturnType<typeof machine>;

/** One line per machine the table's rows were measured on: the benches ran at different times, some on other machines. */
function machineLines(benches: string[], results: Record<string, unknown>, current: Machine): string[] {
  const lines = new Map<string, string[]>();
  for (const bench of benches) {
    const recorded = (results[bench] as { machine?: Partial<Machine> } | undefined)?.machine;
    const m = recorded?.date && recorded.load_average_at_start ? (recorded as Machine) : current;
    const where = `${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, ${m.os}, Node ${m.node}`;
    const when = `${bench} ${m.date.slice(0, 10)} (load average ${m.load_average_at_start.join(" / ")} at start)`;
    lines.set(where, [...(lines.get(where) ?? []), when]);
  }
  return [...lines].map(([where, whens]) => `Machine: ${where}; ${whens.join(", ")}.`);
}

function markdown(rows: Array<SummaryRow & { bench: string }>, results: Record<string, unknown>, m: Machine): string {
  const table = markdownTable(
    ["bench", "metric", "value", "target"],
    rows.map((r) => [r.bench, r.metric, r.value, r.target ? `${r.target} ${r.ok === false ? "(missed)" : "(met)"}` : ""]),
  );
  return [table, "", machineLines([...new Set(rows.map((r) => r.bench))], results, m).join("\n\n")].join("\n");
}

async function main() {
  const args = process.argv.slice(2);
  const updateDoc = args.includes("--update-docs");
  const noRun = args.includes("--no-run");
  const wanted = args.filter((a) => !a.startsWith("--"));
  const files = noRun
    ? []
    : readdirSync(DIR)
        .filter((f) => f.endsWith(".bench.ts"))
        .sort()
        .filter((f) => wanted.length === 0 || wanted.includes(basename(f, ".bench.ts")));
  if (files.length === 0 && !noRun) throw new Error(`no bench matches ${wanted.join(", ")}`);
  const m = machine();
  const results: Record<string, unknown> = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, "utf8")) : {};
  let failed = false;
  for (const file of files) {
    const name = basename(file, ".bench.ts");
    console.log(`\n== ${name} ==`);
    try {
      const mod = (await import(pathToFileURL(join(DIR, file)).href)) as { default: () => Promise<unknown> };
      results[name] = { ...((await mod.default()) as object), machine: m };
    } catch (error) {
      failed = true;
      console.error(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  if (!noRun) {
    results.machine = m;
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  }

  const rows = Object.entries(results)
    .filter(([k]) => k !== "machine")
    .flatMap(([bench, r]) => summaryOf(r).map((row) => ({ ...row, bench })));
  const width = Math.max(...rows.map((r) => r.metric.length), 10);
  console.log(`\n${"bench".padEnd(10)} ${"metric".padEnd(width)} ${"value".padEnd(24)} target`);
  for (const r of rows) {
    const target = r.target ? `${r.target} ${r.ok === false ? "MISSED" : "met"}` : "";
    console.log(`${r.bench.padEnd(10)} ${r.metric.padEnd(width)} ${r.value.padEnd(24)} ${target}`);
  }
  console.log(`\nmachine: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, Node ${m.node}, load ${m.load_average_at_start.join(" / ")}`);
  if (!noRun) console.log(`wrote ${RESULTS}`);
  if (updateDoc) {
    const doc = readFileSync(DOC, "utf8");
    const from = doc.indexOf(START);
    const to = doc.indexOf(END);
    if (from < 0 || to < from) throw new Error(`docs/benchmarks.md has no ${START} ... ${END} block`);
    writeFileSync(DOC, `${doc.slice(0, from + START.length)}\n${markdown(rows, results, m)}\n${doc.slice(to)}`);
    console.log("updated the table in docs/benchmarks.md");
  }
  // A missed target is a finding, shown in the table; only a bench that could not run fails the command.
  if (failed) process.exitCode = 1;
}

await main();
