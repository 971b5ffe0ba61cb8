// vitest globalSetup for the worker project: one HF emulator in Node for all test files, its URL provided as hfBase.
import type { TestProject } from "vitest/node";
import { startEmulator } from "../src/sim/emulator.ts";
import { startCaptureServer } from "./fixtures/capture-server.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulator = await startEmulator({ port: 0 });
  project.provide("hfBase", emulator.url);
  const capture = await startCaptureServer();
  project.provide("captureBase", capture.url);
  return async () => {
    await emulator.close();
    await capture.close();
  };
}
