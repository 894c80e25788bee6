import type { RpcError } from "../core/rpc-error.js";

/** What {@link OpenStreams} ends: a streaming call's context. */
interface Cancellable {
  cancel(reason: RpcError): void;
}

/**
 * The streaming calls a mux has open over plain HTTP (NDJSON, SSE, raw
 * bodies), so that a shutdown can end each with a final error frame instead of
 * cutting its connection. @internal
 */
export class OpenStreams {
  readonly #open = new Set<Cancellable>();

  /** Keeps `context` until `lifecycle` (its response) closes. */
  track(
    context: Cancellable,
    lifecycle: { once(event: "close", listener: () => void): unknown },
  ): void {
    this.#open.add(context);
    lifecycle.once("close", () => this.#open.delete(context));
  }

  get size(): number {
    return this.#open.size;
  }

  /** Cancels every open stream with `reason`: each writes it as its last frame and ends. */
  endAll(reason: RpcError): void {
    for (const context of [...this.#open]) context.cancel(reason);
  }
}
