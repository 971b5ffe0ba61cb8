// Idempotency keys of actions: one action of a kind per endpoint per budget day.
export const actionKey = (day: string, kind: string, endpoint: string): string => `${day}:${kind}:${endpoint}`;
