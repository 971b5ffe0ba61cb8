// Public surface of the policy: schema, types, loading and per-endpoint settings.
export { parsePolicy, validatePolicy, settingsFor, formatPath, type PolicyIssue, type PolicyResult } from "./load.ts";
export { policySchema, ENDPOINT_KEY, type Policy, type PolicyInput, type EndpointSettings } from "./schema.ts";
