declare module "vitest" {
  interface ProvidedContext {
    /** Base URL of the HF emulator started by test/global-setup.ts */
    hfBase: string;
    /** Base URLs of the local inference upstreams (test/fixtures/upstream.ts) */
    upstreamPrimary: string;
    upstreamFallback: string;
    /** Base URL of the EventBridge Scheduler stand-in (src/fakes/scheduler-server.ts) */
    schedulerBase: string;
    /** Base URL of the SNS certificate and confirmation host (src/fakes/sns-host.ts) */
    snsHostBase: string;
    /** Base URL of the local Slack incoming-webhook server (src/fakes/slack-webhook-server.ts) */
    slackBase: string;
    /** Base URL of the local SNS Query API server (src/fakes/sns-server.ts) */
    snsBase: string;
  }
}

export {};
