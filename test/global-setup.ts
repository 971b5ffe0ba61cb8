// vitest globalSetup for the worker project: local servers in Node for all test files, their URLs
// provided to the tests: the HF emulator (hfBase), the EventBridge Scheduler stand-in
// (schedulerBase) and the SNS certificate/confirmation host (snsHostBase).
import type { TestProject } from "vitest/node";
import { startEmulator } from "../src/sim/emulator.ts";
import { startSchedulerServer } from "../src/sim/scheduler-server.ts";
import { startSnsHost } from "../src/sim/sns-host.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [emulator, scheduler, snsHost] = await Promise.all([startEmulator({ port: 0 }), startSchedulerServer(), startSnsHost()]);
  project.provide("hfBase", emulator.url);
  project.provide("schedulerBase", scheduler.url);
  project.provide("snsHostBase", snsHost.url);
  return async () => {
    await Promise.all([emulator.close(), scheduler.close(), snsHost.close()]);
  };
}
