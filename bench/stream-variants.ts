// How a streamed body can pass through a Worker, and what each way costs: the split behind the
// gateway's tap (src/gateway/tap.ts). One workerd (Miniflare) serves one small Worker per variant,
// each on its own socket, all fetching the same upstream stream (16 SSE chunks and a usage chunk);
// rounds send one request to every variant in a random order; each variant's p50 over the first
// (the upstream's response returned as is), with a 95 % bootstrap interval over rounds. The second
// variant is the first again: the A/A control. The `tap` variants run the gateway's own tap.ts,
// bundled in. Not part of `npm run bench`: `npx tsx bench/stream-variants.ts` (VARIANT_ROUNDS=1500).
import { Agent } from "node:http";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { seeded as random } from "../src/sim/scenarios/shapes.ts";
import { startUpstream } from "../test/fixtures/upstream.ts";
import { difference, once, runtimeOf, shuffled } from "./gateway.bench.ts";

/** Each variant: what the Worker does with `up`, the upstream's response (`tap` and `ctx` in scope). */
const VARIANTS: Record<string, string> = {
  "the upstream's response as is (bare proxy)": "return up;",
  "the same again (A/A control)": "return up;",
  "new Response(up.body, up)": "return new Response(up.body, up);",
  "native pipe into an IdentityTransformStream, nothing read": `
    const { readable, writable } = new IdentityTransformStream();
    ctx.waitUntil(up.body.pipeTo(writable).catch(() => {}));
    return new Response(readable, up);`,
  "tee, the caller's branch as the body, copy read 50 ms later (a gone caller does not stop the upstream)": `
    const [toCaller, copy] = up.body.tee();
    ctx.waitUntil(scheduler.wait(50).then(() => new Response(copy).arrayBuffer()));
    return new Response(toCaller, up);`,
  "tee, the caller's branch as the body, copy read chunk by chunk at once": `
    const [toCaller, copy] = up.body.tee();
    ctx.waitUntil((async () => { const r = copy.getReader(); while (!(await r.read()).done); })());
    return new Response(toCaller, up);`,
  "the gateway's tap (tee, native pipe, copy read once the caller has the body or every 50 ms)": `
    return new Response(tap(up.body, { look() {}, end() {} }, (p) => ctx.waitUntil(p)), up);`,
  "tee and native pipe, copy read only once the caller has the body (no timer: unbounded copy on a long stream)": `
    const [toCaller, copy] = up.body.tee();
    const { readable, writable } = new IdentityTransformStream();
    const piped = toCaller.pipeTo(writable).catch((e) => { copy.cancel(e).catch(() => {}); throw e; });
    ctx.waitUntil(piped.then(() => new Response(copy).arrayBuffer(), () => {}));
    return new Response(readable, up);`,
  "a JS TransformStream forwarding each chunk": `
    const ts = new TransformStream({ transform(chunk, c) { c.enqueue(chunk); } });
    ctx.waitUntil(up.body.pipeTo(ts.writable).catch(() => {}));
    return new Response(ts.readable, up);`,
};

const TAP = fileURLToPath(new URL("../src/gateway/tap.ts", import.meta.url));

async function script(body: string): Promise<string> {
  const entry = `import { tap } from ${JSON.stringify(TAP)};
export default {
  async fetch(req, env, ctx) {
    const u = new URL(req.url);
    const up = await fetch(env.UPSTREAM + u.pathname, { method: req.method, headers: req.headers, body: req.body });
    ${body}
  },
};`;
  const out = await build({
    stdin: { contents: entry, loader: "js", resolveDir: "." },
    bundle: true,
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  return out.outputFiles[0]?.text ?? "";
}

const rounds = Number(process.env.VARIANT_ROUNDS ?? 1500);
const names = Object.keys(VARIANTS);
const upstream = await startUpstream({ name: "bench", record: false });
const mf = new Miniflare({
  workers: await Promise.all(
    names.map(async (_, i) => ({
      name: `v${i}`,
      modules: true,
      script: await script(VARIANTS[names[i] as string] as string),
      ...runtimeOf(),
      bindings: { UPSTREAM: upstream.url },
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    })),
  ),
});
try {
  const ports = await Promise.all(names.map(async (_, i) => Number((await mf.unsafeGetDirectURL(`v${i}`)).port)));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = (i: number) => ({
    port: ports[i] as number,
    path: "/v1/chat/completions",
    headers: { "x-upstream-bench": "sse=16,usage=120:48" },
    expect: 200,
  });
  const rand = random(14);
  const order = names.map((_, i) => i);
  const load = () => (os.loadavg()[0] ?? 0).toFixed(1);
  const loadStart = load();
  for (let r = 0; r < 200; r++) for (const i of shuffled(order, rand)) await once(agent, target(i));
  const samples = names.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) for (const i of shuffled(order, rand)) samples[i]?.push(await once(agent, target(i)));
  agent.destroy();
  console.log(`${rounds} rounds, load average ${loadStart} -> ${load()}; p50 over the first variant, ms (95 % interval)`);
  names.forEach((name, i) => {
    const d = difference(samples[0] as number[], samples[i] as number[], rand);
    console.log(`${d.p50.toFixed(3).padStart(7)}  (${d.ci95[0].toFixed(3)} to ${d.ci95[1].toFixed(3)})  ${name}`);
  });
} finally {
  await mf.dispose();
  await upstream.close();
}
