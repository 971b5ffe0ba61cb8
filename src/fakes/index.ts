// The wire fakes: local servers that speak the real protocol of each outside service (the HF
// Inference Endpoints API, Slack incoming webhooks, SNS Publish and its certificate host, EventBridge
// Scheduler), for the tests, the benchmarks, the simulator and `npm start`. Nothing under handlers/
// imports them, so they never reach the Worker's bundle.
export { DEMO_FLEET, DEMO_NAMESPACE } from "./demo-fleet.ts";
export {
  type ClosedRun,
  type CostReport,
  DEFAULT_PRICES,
  type Emulator,
  type EmulatorOptions,
  type EndpointSpec,
  type Fault,
  type NamespaceSetup,
  type PriceSpec,
  type RawEndpoint,
  type RecordedCall,
  startEmulator,
  type Traffic,
} from "./emulator.ts";
export {
  type SchedulerCall,
  type SchedulerFault,
  type SchedulerServer,
  type SchedulerServerOptions,
  startSchedulerServer,
} from "./scheduler-server.ts";
export {
  blockKitProblem,
  type ReceivedSlackMessage,
  type SlackFault,
  type SlackWebhookServer,
  slackHookPath,
  startSlackWebhookServer,
} from "./slack-webhook-server.ts";
export { type SnsHost, startSnsHost } from "./sns-host.ts";
export {
  type PublishedMessage,
  type PublishRequestRecord,
  type SnsCredentials,
  type SnsFault,
  type SnsServer,
  startSnsServer,
  TEST_AWS_CREDENTIALS,
  verifySigV4,
} from "./sns-server.ts";
