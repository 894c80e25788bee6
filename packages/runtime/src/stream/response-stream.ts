import type { IncomingMessage, ServerResponse } from "node:http";
import { create, type DescMessage, isMessage, type MessageShape } from "@bufbuild/protobuf";
import type { CallContext } from "../core/call-context.js";
import { RpcError } from "../core/rpc-error.js";
import { type OutgoingHeaderRules, writeResponseMetadata } from "../headers/response-metadata.js";
import type { PipelineCall } from "../pipeline/pipeline.js";
import { drained } from "../util/drained.js";
import { type ErrorWriting, writeError } from "../wire/response-writer.js";
import type { StreamFormat } from "./stream-format.js";

/** What {@link writeResponseStream} needs besides the request and response. @internal */
export interface ResponseStreamInit {
  readonly output: DescMessage;
  readonly format: StreamFormat;
  readonly context: CallContext;
  readonly errors: ErrorWriting;
  readonly outgoing: OutgoingHeaderRules;
  /** Interval of the format's heartbeat, if it has one; 0 = none. */
  readonly heartbeatIntervalMs: number;
  /** How long a client that reads nothing may hold the stream (backpressure wait); 0 = no bound. */
  readonly streamIdleTimeoutMs: number;
  /** Maps a failure to the error to report (e.g. a bad request message over the CANCELLED it caused). */
  readonly errorOf?: (err: unknown) => RpcError;
  /**
   * Registers a listener for the call's end by deadline or cancellation (the
   * gateway context's `onEnd`): the stream then fails with that reason at once,
   * even while the backend ignores its signal.
   */
  readonly onEnd?: (listener: (reason: RpcError) => void) => void;
  /** The pipeline's record of the call, when middlewares are installed: messages and bytes out, the outcome. */
  readonly pipeline?: PipelineCall | undefined;
}

/**
 * Writes a stream of response messages to an HTTP response, pulling the next
 * message only once the previous one was accepted by the socket (`write()`
 * returning false waits for `'drain'`), so a slow client slows the gRPC stream
 * down instead of filling memory. The status and headers go out with the first
 * message, so a failure before it is a normal error response (with the call's
 * response metadata); a failure after it is the format's error frame. A client
 * that goes away stops the iteration (and the call context's signal cancels the
 * call). A deadline that passes fails the stream the same way (504, or an
 * error frame with DEADLINE_EXCEEDED) without waiting for the backend, whose
 * iterator is then told to stop. With a heartbeat format, headers go out after
 * one heartbeat interval even without a message, then a heartbeat every interval.
 * @internal
 */
export async function writeResponseStream(
  req: IncomingMessage,
  res: ServerResponse,
  start: () => unknown,
  init: ResponseStreamInit,
): Promise<void> {
  const { output, format, context, errors, pipeline } = init;
  const errorOf = init.errorOf ?? ((err: unknown) => RpcError.from(err));
  let committed = false;
  const commit = (first: MessageShape<DescMessage> | undefined) => {
    committed = true;
    res.statusCode = writeResponseMetadata(res, context, init.outgoing);
    for (const [name, value] of Object.entries(format.headers(first))) {
      res.setHeader(name, value);
    }
    res.flushHeaders();
  };
  let timer: NodeJS.Timeout | undefined;
  /** Set once the response is ended (or abandoned): the loop then only stops the iterator. */
  let finished = false;
  const finish = () => {
    finished = true;
    if (timer !== undefined) clearInterval(timer);
  };
  const fail = (err: unknown) => {
    if (finished) return;
    finish();
    const error = errorOf(err);
    if (!committed && !res.destroyed) {
      writeError(error, req, res, errors, context, pipeline);
      return;
    }
    pipeline?.fail(error);
    if (res.destroyed) return;
    const frame = format.error(error);
    if (frame === undefined) res.destroy();
    else res.end(frame);
  };
  const heartbeat = format.heartbeat;
  if (heartbeat !== undefined && init.heartbeatIntervalMs > 0) {
    timer = setInterval(() => {
      if (res.destroyed || res.writableEnded) return;
      if (!committed) commit(undefined);
      if (!res.writableNeedDrain) res.write(heartbeat);
    }, init.heartbeatIntervalMs);
  }
  let iterator: AsyncIterator<unknown> | undefined;
  init.onEnd?.((reason) => {
    if (finished) return;
    fail(reason);
    if (iterator !== undefined) stop(iterator);
  });
  if (finished) return; // already past its deadline: the backend is not called
  try {
    iterator = ((await start()) as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    if (finished) {
      stop(iterator);
      return;
    }
    for (;;) {
      const next = await iterator.next();
      if (finished) return;
      if (res.destroyed) {
        finish();
        if (next.done !== true) stop(iterator);
        return;
      }
      if (next.done === true) break;
      const message = toMessage(output, next.value);
      // Framed before the headers go out: a first message that cannot be written (the
      // size cap, a failing rewriter) is then a plain error response.
      const bytes = format.message(message);
      if (!committed) commit(message);
      if (pipeline !== undefined) {
        pipeline.outcome.messagesOut++;
        pipeline.outcome.bytesOut +=
          typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.length;
      }
      if (!res.write(bytes)) await drained(res, init.streamIdleTimeoutMs);
      if (finished) return;
      if (res.destroyed) {
        finish();
        stop(iterator);
        return;
      }
    }
    finish();
    pipeline?.succeed();
    if (!committed) commit(undefined);
    res.end(format.end?.());
  } catch (err) {
    fail(err);
  } finally {
    finish();
  }
}

/** Tells a response iterator we stop early (its `finally` runs; a grpc-js stream is cancelled). */
function stop(iterator: AsyncIterator<unknown>): void {
  iterator.return?.().catch(() => {});
}

/** A response message, from a message or its init shape. @internal */
export function toMessage(schema: DescMessage, value: unknown): MessageShape<DescMessage> {
  return isMessage(value, schema) ? value : create(schema, (value ?? {}) as never);
}
