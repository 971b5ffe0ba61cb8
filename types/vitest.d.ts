declare module "vitest" {
  interface ProvidedContext {
    /** Base URL of the HF emulator started by test/global-setup.ts */
    hfBase: string;
    /** Base URLs of the local inference upstreams (test/fixtures/upstream.ts) */
    upstreamPrimary: string;
    upstreamFallback: string;
  }
}

export {};
