// A local stand-in for the two things an SNS HTTPS subscriber fetches from sns.<region>.amazonaws.com:
// the signing certificate (SigningCertURL) and the subscription confirmation (SubscribeURL).
// Tests route those URLs here through the Worker's injected fetch, so the real verification and
// confirmation code runs against real HTTP.
//
//   PUT /{anything}.pem                          store a PEM (test setup)
//   GET /{anything}.pem                          serve it; 404 when unknown
//   GET /?Action=ConfirmSubscription&TopicArn=&Token=   ConfirmSubscriptionResponse XML, recorded
//   GET /_sim/confirmations                      {confirmations: [{topicArn, token}]}
//   GET /_sim/requests                           {requests: [path]} every GET served (to count certificate fetches)
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./http-body.ts";

export interface SnsHost {
  url: string;
  close(): Promise<void>;
}

export async function startSnsHost(options: { port?: number } = {}): Promise<SnsHost> {
  const certs = new Map<string, string>();
  const confirmations: Array<{ topicArn: string | null; token: string | null }> = [];
  const requests: string[] = [];
  const server = createServer((req, res) => {
    (async () => {
      const url = new URL(req.url ?? "/", "http://sns");
      const body = await readBody(req);
      if (req.method === "PUT" && url.pathname.endsWith(".pem")) {
        certs.set(url.pathname, body);
        res.writeHead(200).end();
        return;
      }
      if (url.pathname === "/_sim/confirmations") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ confirmations }));
        return;
      }
      if (url.pathname === "/_sim/requests") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ requests }));
        return;
      }
      requests.push(url.pathname + url.search);
      if (url.pathname.endsWith(".pem")) {
        const pem = certs.get(url.pathname);
        if (pem === undefined) res.writeHead(404).end("not found");
        else res.writeHead(200, { "content-type": "application/x-x509-ca-cert" }).end(pem);
        return;
      }
      if (url.searchParams.get("Action") === "ConfirmSubscription") {
        const topicArn = url.searchParams.get("TopicArn");
        confirmations.push({ topicArn, token: url.searchParams.get("Token") });
        res
          .writeHead(200, { "content-type": "text/xml" })
          .end(
            `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult>` +
              `<SubscriptionArn>${topicArn}:${crypto.randomUUID()}</SubscriptionArn></ConfirmSubscriptionResult>` +
              `<ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></ConfirmSubscriptionResponse>`,
          );
        return;
      }
      res.writeHead(404).end("not found");
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
