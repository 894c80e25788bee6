import type { EventEmitter } from "node:events";

/** A writable that emits "drain" when it takes more data and "close" when it is gone. */
interface DrainableStream extends EventEmitter {
  readonly destroyed?: boolean;
  destroy?(): unknown;
}

/**
 * Resolves when a stream whose `write()` returned false can take more data, or
 * is gone (closed): the one backpressure wait of HTTP responses and grpc-js calls.
 * With `idleMs` (> 0), a stream that takes nothing for that long is destroyed
 * (a client that stopped reading is not held forever).
 * @internal
 */
export function drained(stream: DrainableStream, idleMs = 0): Promise<void> {
  if (stream.destroyed === true) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = idleMs > 0 ? setTimeout(() => stream.destroy?.(), idleMs) : undefined;
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
