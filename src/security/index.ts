// Public surface of security: secret comparison (signature checks join here).
export { sameSecret } from "./secret.ts";
