declare module "vitest" {
  interface ProvidedContext {
    /** Base URL of the HF emulator started by test/global-setup.ts */
    hfBase: string;
  }
}

export {};
