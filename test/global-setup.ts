// vitest globalSetup for the worker project: local servers in Node for all test files, their URLs
// provided to the tests: the HF emulator (hfBase), two inference upstreams (upstreamPrimary,
// upstreamFallback), the EventBridge Scheduler stand-in (schedulerBase), the SNS certificate and
// confirmation host (snsHostBase), Slack incoming webhooks (slackBase) and the SNS Query API (snsBase).
import type { TestProject } from "vitest/node";
import { startEmulator, startSchedulerServer, startSlackWebhookServer, startSnsHost, startSnsServer } from "../src/fakes/index.ts";
import { startUpstream } from "./fixtures/upstream.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [emulator, primary, fallback, scheduler, snsHost, slack, sns] = await Promise.all([
    startEmulator({ port: 0 }),
    startUpstream({ name: "primary" }),
    startUpstream({ name: "fallback" }),
    startSchedulerServer(),
    startSnsHost(),
    startSlackWebhookServer(),
    startSnsServer(),
  ]);
  project.provide("hfBase", emulator.url);
  project.provide("upstreamPrimary", primary.url);
  project.provide("upstreamFallback", fallback.url);
  project.provide("schedulerBase", scheduler.url);
  project.provide("snsHostBase", snsHost.url);
  project.provide("slackBase", slack.url);
  project.provide("snsBase", sns.url);
  return async () => {
    await Promise.all([
      emulator.close(),
      primary.close(),
      fallback.close(),
      scheduler.close(),
      snsHost.close(),
      slack.close(),
      sns.close(),
    ]);
  };
}
