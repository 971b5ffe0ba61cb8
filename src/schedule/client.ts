// The Scheduler client, configured the same way in the Worker and in `npm run schedules`:
// explicit region and credentials (the browser build used in workerd has no credential chain),
// and the endpoint override AWS_ENDPOINT_URL_SCHEDULER (a local server in tests and `npm start`).
import { SchedulerClient } from "@aws-sdk/client-scheduler";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SchedulerClientOptions {
  region: string;
  credentials: AwsCredentials;
  /** AWS_ENDPOINT_URL_SCHEDULER, as the AWS SDKs name it */
  endpoint?: string | undefined;
  /** called once per HTTP attempt, retries included: each is a subrequest of the Worker's invocation */
  onRequest?: () => void;
}

export function schedulerClient(o: SchedulerClientOptions): SchedulerClient {
  const client = new SchedulerClient({
    region: o.region,
    credentials: o.credentials,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    // Every attempt is a subrequest in the Worker: the SDK default (3) is the ceiling.
    maxAttempts: 3,
  });
  const onRequest = o.onRequest;
  // The deserialize step sits under the retry middleware: it runs once per attempt sent.
  if (onRequest)
    client.middlewareStack.add(
      (next) => (args) => {
        onRequest();
        return next(args);
      },
      { step: "deserialize", name: "countSubrequests" },
    );
  return client;
}
