declare module "vitest" {
  interface ProvidedContext {
    /** Base URL of the HF emulator started by test/global-setup.ts */
    hfBase: string;
    /** Base URL of the request-capturing server (Slack response_url stand-in), test/fixtures/capture-server.ts */
    captureBase: string;
  }
}

export {};
