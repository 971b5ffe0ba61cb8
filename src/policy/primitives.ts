// Value rules shared by the policy's sections (kept apart from schema.ts so sections can use them
// without importing the whole schema).

export const isTimeZone = (tz: string): boolean => {
  // UTC needs no lookup: a fresh isolate's first Intl.DateTimeFormat loads ICU's zone data (about 10 ms of its first tick).
  if (tz === "UTC") return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** `namespace/name`, as HF names them (lowercase alphanumerics and `-`, namespace may hold `_`/`.`). */
export const ENDPOINT_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[a-z0-9][a-z0-9-]{0,31}$/;
