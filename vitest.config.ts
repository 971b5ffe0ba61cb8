// Three projects: pure unit tests in Node; Worker code inside workerd with a real local D1
// (migrations applied from infra/migrations) and the HF emulator started once in globalSetup;
// end-to-end tests in Node that run `wrangler dev` and drive headless Chromium.
import { existsSync } from "node:fs";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig, type Plugin } from "vitest/config";

/** Lets `import text from "./x.yaml"` work under Vite as it does under wrangler's Text rule. */
export function yamlAsText(): Plugin {
  return {
    name: "yaml-as-text",
    transform(code, id) {
      if (id.endsWith(".yaml") || id.endsWith(".yml")) return { code: `export default ${JSON.stringify(code)};`, map: null };
      return null;
    },
  };
}

/** shared/ (real third-party test vectors) sits beside the repo: ../shared from /work/main, ../../shared from a worktree. */
const shared = [path.join(import.meta.dirname, "../shared"), path.join(import.meta.dirname, "../../shared")].find((p) => existsSync(p));

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "infra/migrations"));
  const resolve = { alias: shared ? [{ find: "@shared", replacement: shared }] : [] };
  return {
    test: {
      projects: [
        {
          resolve,
          plugins: [yamlAsText()],
          test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
        },
        // The simulator in Node: the emulator in-process, guard ticks in workerd through Miniflare (src/sim/tick-host.ts).
        {
          test: { name: "sim", include: ["test/sim/**/*.test.ts"], environment: "node", testTimeout: 180_000, hookTimeout: 60_000 },
        },
        {
          // @shared, plus the same alias as wrangler.toml [alias]: the AWS SDK's XML parser without DOMParser (see the shim).
          resolve: {
            alias: [
              ...resolve.alias,
              { find: /^@aws-sdk\/xml-builder$/, replacement: path.join(import.meta.dirname, "src/notify/aws-xml-builder.js") },
            ],
          },
          plugins: [
            yamlAsText(),
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                compatibilityFlags: ["nodejs_compat", "service_binding_extra_handlers"],
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  HF_API_BASE: inject("hfBase"),
                  HF_HUB_BASE: inject("hfBase"),
                  HF_TOKEN: "hf_test_token",
                  READ_TOKEN: "test-read-token",
                  OVERRIDE_SIGNING_SECRET: "test-override-secret",
                  SLACK_SIGNING_SECRET: "test-slack-signing-secret",
                },
              },
            })),
          ],
          test: {
            name: "worker",
            include: ["test/worker/**/*.test.ts"],
            globalSetup: ["test/global-setup.ts"],
            setupFiles: ["test/worker/apply-migrations.ts"],
          },
        },
        {
          test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], environment: "node", testTimeout: 120_000, hookTimeout: 180_000 },
        },
      ],
    },
  };
});
