// The tick's D1 wrapper: the queries a step issues together reach D1 as one batch, with the answers
// each query would have had on its own.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { coalescingDb } from "../../src/store/index.ts";

/** The real D1, counting the requests that reach it (a query, or a batch of them). */
function counted() {
  const calls: number[] = [];
  const db = new Proxy(env.DB, {
    get(target, key) {
      if (key === "batch")
        return (stmts: D1PreparedStatement[]) => {
          calls.push(stmts.length);
          return target.batch(stmts);
        };
      if (key === "prepare")
        return (sql: string) => {
          const stmt = target.prepare(sql);
          const one = (f: () => Promise<unknown>) => {
            calls.push(1);
            return f();
          };
          const wrap = (s: D1PreparedStatement): D1PreparedStatement =>
            new Proxy(s, {
              get(t, k) {
                if (k === "bind") return (...v: unknown[]) => wrap(t.bind(...v));
                if (k === "first" || k === "all" || k === "run")
                  return (...a: never[]) => one(() => (t[k] as (...x: never[]) => Promise<unknown>)(...a));
                return Reflect.get(t, k, t);
              },
            });
          return wrap(stmt);
        };
      return Reflect.get(target, key, target);
    },
  });
  return { db, calls };
}

describe("the coalescing D1 wrapper", () => {
  it("sends the queries issued together as one batch and gives each its own answer", async () => {
    await env.DB.exec("CREATE TABLE IF NOT EXISTS coalesce_t (k TEXT PRIMARY KEY, v INTEGER)");
    await env.DB.prepare("INSERT OR REPLACE INTO coalesce_t (k, v) VALUES ('a', 1), ('b', 2)").run();
    const { db, calls } = counted();
    const c = coalescingDb(db);
    const [one, column, none, all, run, batch] = await Promise.all([
      c.prepare("SELECT v FROM coalesce_t WHERE k = ?1").bind("a").first<{ v: number }>(),
      c.prepare("SELECT v FROM coalesce_t WHERE k = ?1").bind("b").first<number>("v"),
      c.prepare("SELECT v FROM coalesce_t WHERE k = ?1").bind("zz").first(),
      c.prepare("SELECT k FROM coalesce_t ORDER BY k").all<{ k: string }>(),
      c.prepare("UPDATE coalesce_t SET v = v + 10 WHERE k = 'a'").run(),
      c.batch([c.prepare("SELECT COUNT(*) AS n FROM coalesce_t"), c.prepare("SELECT v FROM coalesce_t WHERE k = 'a'")]),
    ]);
    expect(calls).toEqual([7]);
    expect(one).toEqual({ v: 1 });
    expect(column).toBe(2);
    expect(none).toBeNull();
    expect(all.results).toEqual([{ k: "a" }, { k: "b" }]);
    expect(run.meta.changes).toBe(1);
    // In order: the batch after the update sees it.
    expect(batch.map((r) => r.results)).toEqual([[{ n: 2 }], [{ v: 11 }]]);
  });

  it("sends queries awaited one after another as they come, and fails a group whose statement fails", async () => {
    const { db, calls } = counted();
    const c = coalescingDb(db);
    await c.prepare("SELECT 1 AS x").first();
    await c.prepare("SELECT 2 AS x").first();
    expect(calls).toEqual([1, 1]);
    const group = await Promise.allSettled([c.prepare("SELECT 1 AS x").first(), c.prepare("SELECT * FROM no_such_table").all()]);
    expect(group.map((g) => g.status)).toEqual(["rejected", "rejected"]);
  });
});
