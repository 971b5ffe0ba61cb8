// `npm run emulator`: the HF Inference Endpoints emulator on a fixed port, for npm start and manual poking.
import { startEmulator } from "../src/fakes/index.ts";

const flag = process.argv.indexOf("--port");
const port = Number(flag >= 0 ? process.argv[flag + 1] : (process.env.HF_EMULATOR_PORT ?? 8788));
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid port: use --port <n> or HF_EMULATOR_PORT (got ${String(port)})`);
  process.exit(1);
}

const emulator = await startEmulator({ port, token: process.env.HF_EMULATOR_TOKEN });
console.log(`HF emulator listening on ${emulator.url} (bearer token: ${emulator.token})`);
console.log(`seed a namespace: curl -X POST ${emulator.url}/_emulator/acme/reset -d '{"endpoints":[...]}'`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void emulator.close().then(() => process.exit(0));
  });
}
