// vitest globalSetup for the worker project: one HF emulator and two inference upstreams (primary,
// fallback) in Node for all test files, their URLs provided as hfBase, upstreamPrimary, upstreamFallback.
import type { TestProject } from "vitest/node";
import { startEmulator } from "../src/sim/emulator.ts";
import { startUpstream } from "./fixtures/upstream.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulator = await startEmulator({ port: 0 });
  const primary = await startUpstream({ name: "primary" });
  const fallback = await startUpstream({ name: "fallback" });
  project.provide("hfBase", emulator.url);
  project.provide("upstreamPrimary", primary.url);
  project.provide("upstreamFallback", fallback.url);
  return async () => {
    await Promise.all([emulator.close(), primary.close(), fallback.close()]);
  };
}
