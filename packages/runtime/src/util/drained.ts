import type { EventEmitter } from "node:events";

/** A writable that emits "drain" when it takes more data and "close" when it is gone. */
interface DrainableStream extends EventEmitter {
  readonly destroyed?: boolean;
}

/**
 * Resolves when a stream whose `write()` returned false can take more data, or
 * is gone (closed): the one backpressure wait of HTTP responses and grpc-js calls.
 * @internal
 */
export function drained(stream: DrainableStream): Promise<void> {
  if (stream.destroyed === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
