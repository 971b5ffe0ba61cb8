// One round trip for the queries a step makes together. The tick reads and writes D1 in steps whose
// queries run concurrently (Promise.all); each query through the binding is its own request to D1,
// and in the Worker's isolate each costs the binding's JavaScript (serialising the query, reading and
// parsing the answer) whatever its size. This wrapper queues every query (and batch) issued in the
// same turn of the event loop and sends them as one `db.batch()`: the same statements in the same
// order, one request. A batch is one transaction, so a failing statement fails its whole group; the
// queries of one step fail together anyway (Promise.all). `raw()` and `exec()` go through unqueued.

interface Pending {
  statements: D1PreparedStatement[];
  settle: (results: D1Result[]) => void;
  fail: (error: unknown) => void;
}

/** A D1Database that sends the queries issued in the same turn of the event loop as one batch. */
export function coalescingDb(db: D1Database): D1Database {
  let queue: Pending[] = [];
  const flush = () => {
    const group = queue;
    queue = [];
    const statements = group.flatMap((p) => p.statements);
    db.batch(statements).then(
      (results) => {
        let at = 0;
        for (const p of group) {
          p.settle(results.slice(at, at + p.statements.length));
          at += p.statements.length;
        }
      },
      (error: unknown) => {
        for (const p of group) p.fail(error);
      },
    );
  };
  const enqueue = (statements: D1PreparedStatement[]) =>
    new Promise<D1Result[]>((resolve, reject) => {
      if (statements.length === 0) return resolve([]);
      if (queue.length === 0) queueMicrotask(flush);
      queue.push({ statements, settle: resolve, fail: reject });
    });
  const one = async (stmt: D1PreparedStatement) => (await enqueue([stmt]))[0] as D1Result;
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const wrapped = {
      bind: (...values: unknown[]) => wrap(stmt.bind(...values)),
      first: async (column?: string) => {
        const row = ((await one(stmt)).results[0] ?? null) as Record<string, unknown> | null;
        return column === undefined ? row : (row?.[column] ?? null);
      },
      run: () => one(stmt),
      all: () => one(stmt),
      raw: (options?: { columnNames?: boolean }) => stmt.raw(options as { columnNames: true }),
    } as unknown as D1PreparedStatement;
    inner.set(wrapped, stmt);
    return wrapped;
  };
  const inner = new WeakMap<object, D1PreparedStatement>();
  return {
    prepare: (sql: string) => wrap(db.prepare(sql)),
    batch: (statements: D1PreparedStatement[]) => enqueue(statements.map((s) => inner.get(s) ?? s)),
    exec: (query: string) => db.exec(query),
    dump: () => db.dump(),
    withSession: (constraint?: string) => db.withSession(constraint),
  } as unknown as D1Database;
}
