// The shape of an endpoint id in the policy and everywhere else: `namespace/name`, as HF names them.

/** `namespace/name` (lowercase alphanumerics and `-`, namespace may hold `_`/`.`). */
export const ENDPOINT_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[a-z0-9][a-z0-9-]{0,31}$/;
