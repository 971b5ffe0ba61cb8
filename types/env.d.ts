// Bindings, typed once. Secrets are optional here because a missing one must be reported, not crash.
declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database;
      HF_API_BASE: string;
      /** The Hub (billing usage); default https://huggingface.co. A local stand-in in tests and `npm start`. */
      HF_HUB_BASE?: string;
      HF_TOKEN?: string;
      /** Bearer token for GET / and the read API (unless the policy sets status.public). */
      READ_TOKEN?: string;
      /** Optional policy (YAML or JSON) that replaces the bundled guardrail.yaml; used by `npm start`. */
      GUARDRAIL_POLICY?: string;
      /** HMAC key of the override webhook (X-Guardrail-Signature). */
      OVERRIDE_SIGNING_SECRET?: string;
      /** Slack app signing secret, for /slack/commands and /slack/interactions. */
      SLACK_SIGNING_SECRET?: string;
      /** Slack incoming webhook for alerts (secret). */
      SLACK_WEBHOOK_URL?: string;
      /** Optional SNS endpoint override (a local server), named as the AWS SDKs name it. */
      AWS_ENDPOINT_URL_SNS?: string;
      TEST_MIGRATIONS: D1Migration[];
      /** AWS credentials of the Worker (infra/aws: the guardrail's IAM user): sns:Publish to the alerts topic, Scheduler sync; secrets */
      AWS_ACCESS_KEY_ID?: string;
      AWS_SECRET_ACCESS_KEY?: string;
      /** endpoint override for EventBridge Scheduler (a local server), as the AWS SDKs name it */
      AWS_ENDPOINT_URL_SCHEDULER?: string;
    }
  }
}

export {};
