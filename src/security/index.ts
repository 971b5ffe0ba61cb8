// Inbound request authentication: the override webhook's HMAC and Slack's request signing.
export type { SignatureCheck, SignatureFailure } from "./hmac.ts";
export { OVERRIDE_SIGNATURE_HEADER, OVERRIDE_TOLERANCE_SECONDS, signOverride, verifyOverrideSignature } from "./override-signature.ts";
export { SLACK_TOLERANCE_SECONDS, signSlack, verifySlackSignature } from "./slack-signature.ts";
