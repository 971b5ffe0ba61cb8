// Public surface of runtime: the wiring the Worker and the simulator share.
export {
  type Config,
  configOf,
  createRuntime,
  type GuardTick,
  type Runtime,
  type RuntimeEnv,
  type RuntimeOptions,
  runGuardTick,
} from "./runtime.ts";
