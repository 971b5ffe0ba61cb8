// Request bodies in overflow mode: kept in memory (up to a limit) so the same bytes can go to the
// fallback when the primary answers 429/503 or times out, as retrying proxies do (Envoy's
// per-request buffer limit). A larger body streams to the primary only and cannot overflow.

export type PreparedBody =
  /** replayable: no body, or all of it in memory */
  | { replayable: true; body: Uint8Array | null }
  /** too large to keep: what was read so far followed by the rest, for one upstream only */
  | { replayable: false; body: ReadableStream<Uint8Array> };

export async function prepareBody(
  body: ReadableStream<Uint8Array> | null,
  declaredLength: number | null,
  limit: number,
): Promise<PreparedBody> {
  if (body === null) return { replayable: true, body: null };
  if (declaredLength !== null && declaredLength > limit) return { replayable: false, body };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) return { replayable: false, body: resume(chunks, reader) };
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return { replayable: true, body: all };
}

function resume(read: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of read) c.enqueue(chunk);
    },
    async pull(c) {
      const { done, value } = await reader.read();
      if (done) c.close();
      else c.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
