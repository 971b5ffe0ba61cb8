// Reading an answer's bytes (to count them and find its usage) without JavaScript in the caller's
// path: the upstream body is tee'd; the caller's branch is piped natively into an
// IdentityTransformStream, which is the Response body, and the copy is read in the background in
// few large reads. A JS TransformStream in the caller's path cost about 2 ms on a streamed answer
// of 17 chunks in workerd (docs/benchmarks.md); this costs a few tenths of a millisecond.
//
// Why the pipe and not the tee branch itself as the body: a client that goes away cancels the
// caller's branch only, and a tee's source is cancelled once both branches are, so the copy would
// keep reading and the upstream would keep generating billed tokens. The pipe's promise rejects
// when the client goes away; the copy is then cancelled, and with it the upstream. (Request.signal
// does not fire for a Response whose body is a native stream: measured with workerd 2026-04.)

/** The copy waits this long between reads, so that a burst of chunks is read at once. */
const READ_EVERY_MS = 50;
/** The copy's read buffer (reused from read to read). */
const READ_BUFFER_BYTES = 16 * 1024;

export interface TapSink {
  /** a part of the body; its buffer is reused after the call, so copy what you keep */
  look(bytes: Uint8Array): void;
  /** once: the body's byte count, and whether it ended (false: cancelled by the client or failed); awaited under waitUntil */
  end(bytes: number, complete: boolean): void | Promise<void>;
}

/**
 * The body to give the caller: the same bytes as `body`, as they come. The copy is read under
 * `waitUntil`; `sink.end` is called once the body ended, failed or the client went away.
 */
export function tap(body: ReadableStream<Uint8Array>, sink: TapSink, waitUntil: (p: Promise<unknown>) => void): ReadableStream<Uint8Array> {
  const [toCaller, copy] = body.tee();
  const { readable, writable } = new IdentityTransformStream();
  const reader = readerOf(copy);
  let delivered = false;
  let cancelled = false;
  let wake: (() => void) | null = null;
  const settle = () => {
    delivered = true;
    wake?.();
  };
  toCaller.pipeTo(writable).then(settle, (err: unknown) => {
    cancelled = true;
    settle();
    reader.cancel(err).catch(() => undefined);
  });
  // Until the caller has the whole body, wait before each read; after, the rest is read at once.
  const pause = () =>
    delivered
      ? undefined
      : new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            wake = null;
            resolve();
          }, READ_EVERY_MS);
          wake = () => {
            clearTimeout(timer);
            wake = null;
            resolve();
          };
        });
  const read = async () => {
    let bytes = 0;
    try {
      // Not even the first chunk is read at once: a read while the caller's chunks are flowing cost ~0.5 ms.
      await pause();
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        bytes += r.value.byteLength;
        sink.look(r.value);
        await pause();
      }
    } catch {
      cancelled = true;
    }
    await sink.end(bytes, !cancelled);
  };
  waitUntil(read());
  return readable;
}

interface CopyReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
}

/** A BYOB reader when the stream is a byte stream (a fetch body is): one read takes all that is buffered. */
function readerOf(stream: ReadableStream<Uint8Array>): CopyReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    return stream.getReader(); // a stream built in JS (a test's fetch): one chunk per read
  }
  let buffer = new Uint8Array(READ_BUFFER_BYTES);
  return {
    read: async () => {
      const r = await byob.read(buffer);
      if (r.value) buffer = new Uint8Array(r.value.buffer);
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value as Uint8Array };
    },
    cancel: (reason) => byob.cancel(reason),
  };
}
