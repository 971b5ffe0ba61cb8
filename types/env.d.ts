// Bindings, typed once. Secrets are optional here because a missing one must be reported, not crash.
declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database;
      HF_API_BASE: string;
      HF_TOKEN?: string;
      /** Optional policy (YAML or JSON) that replaces the bundled guardrail.yaml; used by `npm start`. */
      GUARDRAIL_POLICY?: string;
      /** Bearer token (or guardrail_read cookie) for the read side; see handlers/http/auth.ts. */
      READ_TOKEN?: string;
      /** HMAC key of the override webhook (X-Guardrail-Signature). */
      OVERRIDE_SIGNING_SECRET?: string;
      /** Slack app signing secret, for /slack/commands and /slack/interactions. */
      SLACK_SIGNING_SECRET?: string;
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}

export {};
