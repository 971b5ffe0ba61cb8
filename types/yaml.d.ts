// wrangler bundles *.yaml as text (wrangler.toml [[rules]]); vitest does the same (vitest.config.ts).
declare module "*.yaml" {
  const text: string;
  export default text;
}
