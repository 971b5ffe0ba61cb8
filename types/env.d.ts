// Bindings, typed once. Secrets are optional here because a missing one must be reported, not crash.
declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database;
      HF_API_BASE: string;
      HF_TOKEN?: string;
      /** Bearer token for GET / and the read API (unless the policy sets status.public). */
      READ_TOKEN?: string;
      /** Optional policy (YAML or JSON) that replaces the bundled guardrail.yaml; used by `npm start`. */
      GUARDRAIL_POLICY?: string;
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}

export {};
