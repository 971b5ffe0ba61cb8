// Inbound request authentication: the override webhook's HMAC, Slack's request signing, SNS message
// signatures and bearer tokens.
export { bearerToken, matchesAnySecret } from "./bearer.ts";
export type { SignatureCheck, SignatureFailure } from "./hmac.ts";
export { OVERRIDE_SIGNATURE_HEADER, OVERRIDE_TOLERANCE_SECONDS, signOverride, verifyOverrideSignature } from "./override-signature.ts";
export { SLACK_TOLERANCE_SECONDS, signSlack, verifySlackSignature } from "./slack-signature.ts";
export { CertCache, httpsCertFetcher, isTrustedSnsUrl, type SnsMessage, sharedCertCache, verifySnsMessage } from "./sns-signature.ts";
