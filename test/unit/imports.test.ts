// The import check: arrows point down the layers, no cycle between folders, nothing in src/ reaches
// into handlers/, and folders are entered through their index.ts. It reads every import in src/ and
// handlers/ (type-only imports included: a type is a dependency too).
//
// Layers, top to bottom (a folder may import its own layer or any below, never above):
//   5  handlers (the Worker's composition root), src/sim (the simulator), src/fakes (the wire fakes),
//      src/runtime (the wiring the Worker and the simulator share: config, HF client, notifier, clock)
//   4  tick, control, gateway, schedule (the four entry points a tick, a person, a caller and a
//      scheduled command come in through), status (the one reading of the day that /v1/status,
//      the page, Slack status and /metrics render; it reads tick's budgets, control's override JSON)
//   3  act (the executor)
//   2  notify, store, providers, security (adapters to the outside: Slack/SNS, D1, HF, signatures)
//   1  core (pure decisions)
//   0  policy (the policy's schema and types)
// handlers, src/sim and src/fakes share the top layer but may not import each other (except that the
// simulator runs against the fakes): the simulator must not pull the Worker's routes in, and the
// Worker must not bundle the fakes. Both use src/runtime, which imports none of the three.
//
// The lists of known violations below are empty: a new violation fails. (Should one ever be listed,
// a listed one that no longer exists fails too, so the lists only shrink.)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");

const LAYER: Record<string, number> = {
  handlers: 5,
  "src/sim": 5,
  "src/fakes": 5,
  "src/runtime": 5,
  "src/tick": 4,
  "src/control": 4,
  "src/gateway": 4,
  "src/schedule": 4,
  "src/status": 4,
  "src/act": 3,
  "src/notify": 2,
  "src/store": 2,
  "src/providers": 2,
  "src/security": 2,
  "src/core": 1,
  "src/policy": 0,
};

/** Imports that run up a layer (file -> file). Empty since the structural wave of issue 15. */
const KNOWN_UPWARD = new Set<string>([]);

/** Folder cycles (the folders of each strongly connected group, sorted, joined by " <-> "). None. */
const KNOWN_CYCLES = new Set<string>([]);

/** Imports that reach past a folder's index.ts, counted per folder pair. None. */
const KNOWN_DEEP: Record<string, number> = {};

interface Edge {
  from: string;
  to: string;
  fromFolder: string;
  toFolder: string;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|tsx|js)$/.test(name) ? [p] : [];
  });
}

/** handlers, or src/<folder>; files directly in src/ are their own folder. */
const folderOf = (rel: string): string => (rel.startsWith("handlers/") ? "handlers" : rel.split("/").slice(0, 2).join("/"));

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm;

/** Every relative import between two folders of src/ and handlers/. */
function edges(): Edge[] {
  const files = [...sources(join(ROOT, "src")), ...sources(join(ROOT, "handlers"))];
  const out: Edge[] = [];
  for (const file of files) {
    // Comments may quote imports; drop them first.
    const text = readFileSync(file, "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? "";
      if (!spec.startsWith(".")) continue;
      const from = relative(ROOT, file);
      const to = relative(ROOT, resolve(dirname(file), spec));
      if (!to.startsWith("src/") && !to.startsWith("handlers/")) continue; // guardrail.yaml, ...
      const fromFolder = folderOf(from);
      const toFolder = folderOf(to);
      if (fromFolder !== toFolder) out.push({ from, to, fromFolder, toFolder });
    }
  }
  return out;
}

/** Strongly connected groups of more than one folder (Tarjan). */
function cycles(es: readonly Edge[]): string[] {
  const graph = new Map<string, Set<string>>();
  for (const e of es) {
    if (!graph.has(e.fromFolder)) graph.set(e.fromFolder, new Set());
    if (!graph.has(e.toFolder)) graph.set(e.toFolder, new Set());
    graph.get(e.fromFolder)?.add(e.toFolder);
  }
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort().join(" <-> "));
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return groups.sort();
}

/** What is new and what is gone, against a known list. */
function against(found: Iterable<string>, known: ReadonlySet<string>) {
  const seen = new Set(found);
  return { added: [...seen].filter((x) => !known.has(x)).sort(), fixed: [...known].filter((x) => !seen.has(x)).sort() };
}

const all = edges();

describe("the import check", () => {
  it("reads the tree: it finds imports between folders, and each folder it finds has a layer", () => {
    expect(all.length).toBeGreaterThan(100);
    const folders = new Set(all.flatMap((e) => [e.fromFolder, e.toFolder]));
    expect([...folders].filter((f) => LAYER[f] === undefined)).toEqual([]);
  });

  it("finds no import from src/ into handlers/", () => {
    expect(all.filter((e) => e.fromFolder !== "handlers" && e.toFolder === "handlers").map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it("keeps the Worker and the simulator apart (the fakes never reach the bundle)", () => {
    const top = new Set(["handlers", "src/sim", "src/fakes"]);
    const crossing = all.filter((e) => top.has(e.fromFolder) && top.has(e.toFolder) && !e.fromFolder.startsWith("src/fakes"));
    // src/sim may use the fakes (the simulator runs against them); nothing else crosses.
    expect(crossing.filter((e) => !(e.fromFolder === "src/sim" && e.toFolder === "src/fakes")).map((e) => `${e.from} -> ${e.to}`)).toEqual(
      [],
    );
  });

  it("wires the Worker in handlers/runtime.ts only: no other handler loads the config, builds an HF client or imports scheduled.ts", () => {
    const offenders = sources(join(ROOT, "handlers"))
      .map((file) => relative(ROOT, file))
      .filter((rel) => rel !== "handlers/runtime.ts" && rel !== "handlers/config.ts")
      .flatMap((rel) => {
        const text = readFileSync(join(ROOT, rel), "utf8");
        const found = [
          /\bloadConfig\(/.test(text) && "loadConfig(",
          /new HfClient\(/.test(text) && "new HfClient(",
          /from "[./]*scheduled\.ts"/.test(text) && rel !== "handlers/worker.ts" && "scheduled.ts",
        ];
        return found.filter((x): x is string => typeof x === "string").map((x) => `${rel}: ${x}`);
      });
    expect(offenders).toEqual([]);
  });

  it("keeps the shared wiring (src/runtime) below both roots: it imports neither the Worker, the simulator nor the fakes", () => {
    const roots = new Set(["handlers", "src/sim", "src/fakes"]);
    expect(all.filter((e) => e.fromFolder === "src/runtime" && roots.has(e.toFolder)).map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
    // Both roots do wire through it.
    expect(new Set(all.filter((e) => e.toFolder === "src/runtime").map((e) => e.fromFolder))).toEqual(new Set(["handlers", "src/sim"]));
  });

  it("finds no import from handlers/ into src/fakes (the wire fakes are for tests, the simulator and npm start)", () => {
    expect(all.filter((e) => e.fromFolder === "handlers" && e.toFolder === "src/fakes").map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it("finds no import that runs up a layer beyond the known ones, and every known one still exists", () => {
    const upward = all.filter((e) => (LAYER[e.toFolder] ?? 0) > (LAYER[e.fromFolder] ?? 0)).map((e) => `${e.from} -> ${e.to}`);
    const { added, fixed } = against(upward, KNOWN_UPWARD);
    expect(added, "new upward imports: move what both need to the lower layer").toEqual([]);
    expect(fixed, "fixed: delete these lines from KNOWN_UPWARD").toEqual([]);
  });

  it("finds no cycle between folders beyond the known ones, and every known one still exists", () => {
    const { added, fixed } = against(cycles(all), KNOWN_CYCLES);
    expect(added, "new folder cycles").toEqual([]);
    expect(fixed, "gone: delete these lines from KNOWN_CYCLES").toEqual([]);
  });

  it("enters other folders through their index.ts, except the known deep imports", () => {
    const deep: Record<string, number> = {};
    for (const e of all) {
      if (e.to.endsWith("/index.ts") && e.to.split("/").length === (e.toFolder === "handlers" ? 2 : 3)) continue;
      const k = `${e.fromFolder} -> ${e.toFolder}`;
      deep[k] = (deep[k] ?? 0) + 1;
    }
    expect(deep, "deep imports per folder pair: import from the folder's index.ts, or lower the count here when you fix one").toEqual(
      KNOWN_DEEP,
    );
  });

  it("fails on what it checks: an upward import, a cycle and a deep import are each caught", () => {
    const fake: Edge[] = [
      { from: "src/core/plan.ts", to: "src/store/index.ts", fromFolder: "src/core", toFolder: "src/store" },
      { from: "src/store/x.ts", to: "src/core/index.ts", fromFolder: "src/store", toFolder: "src/core" },
    ];
    expect(fake.filter((e) => (LAYER[e.toFolder] ?? 0) > (LAYER[e.fromFolder] ?? 0)).length).toBe(1);
    expect(cycles(fake)).toEqual(["src/core <-> src/store"]);
    expect(against(["a", "b"], new Set(["b", "c"]))).toEqual({ added: ["a"], fixed: ["c"] });
  });
});
