// Small pieces shared by the local servers in src/fakes: answer, listen on a port, close cleanly
// (reading a request body is in http-body.ts).
import type { Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Starts listening and returns the base URL and a close function that also drops keep-alive connections. */
export async function listen(server: Server, port = 0, host = "127.0.0.1"): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Writes a text answer, unless the client already went away. */
export function sendText(res: ServerResponse, status: number, type: string, text: string, headers?: Record<string, string>): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { "content-type": type, ...headers });
  res.end(text);
}
