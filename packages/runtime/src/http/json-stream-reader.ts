import type { IncomingMessage } from "node:http";
import { HttpStatusError } from "../core/http-status-error.js";
import { preParsedBody } from "./request-body.js";
import { Code, RpcError } from "../core/rpc-error.js";

enum Mode {
  /** Between values: skipping whitespace. */
  Idle = 0,
  /** Inside an object or array. */
  Nested = 1,
  /** Inside a top-level string. */
  TopString = 2,
  /** Inside a top-level number or literal (`true`, `null`, …). */
  Bare = 3,
}

/**
 * Splits a byte stream of JSON values — newline-delimited (NDJSON) or simply
 * concatenated (`{"a":1}{"a":2}`) — into one buffer per value, without parsing
 * them: it only tracks nesting and strings, so a value is handed on as soon as
 * its last byte arrives. Each value may be at most `limit` bytes.
 * Values are validated later, by whoever parses them.
 * @internal
 */
export class JsonMessageFramer {
  readonly #limit: number;
  #mode = Mode.Idle;
  #depth = 0;
  #inString = false;
  #escape = false;
  /** Bytes of the value being read that came in earlier chunks. */
  #parts: Buffer[] = [];
  #size = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Feeds a chunk; returns the values it completed, or an error (a value is larger than the limit). */
  push(chunk: Buffer): Buffer[] | RpcError {
    const out: Buffer[] = [];
    let start = this.#mode === Mode.Idle ? -1 : 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      switch (this.#mode) {
        case Mode.Idle:
          if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
          start = i;
          if (b === 0x7b || b === 0x5b) {
            this.#mode = Mode.Nested;
            this.#depth = 1;
            this.#inString = false;
          } else if (b === 0x22) {
            this.#mode = Mode.TopString;
            this.#escape = false;
          } else {
            this.#mode = Mode.Bare;
          }
          break;
        case Mode.Nested:
          if (this.#inString) {
            if (this.#escape) this.#escape = false;
            else if (b === 0x5c) this.#escape = true;
            else if (b === 0x22) this.#inString = false;
          } else if (b === 0x22) {
            this.#inString = true;
          } else if (b === 0x7b || b === 0x5b) {
            this.#depth++;
          } else if ((b === 0x7d || b === 0x5d) && --this.#depth === 0) {
            const value = this.#take(chunk, start, i + 1);
            if (value instanceof RpcError) return value;
            out.push(value);
            start = -1;
          }
          break;
        case Mode.TopString:
          if (this.#escape) this.#escape = false;
          else if (b === 0x5c) this.#escape = true;
          else if (b === 0x22) {
            const value = this.#take(chunk, start, i + 1);
            if (value instanceof RpcError) return value;
            out.push(value);
            start = -1;
          }
          break;
        case Mode.Bare:
          if (
            b === 0x20 ||
            b === 0x0a ||
            b === 0x0d ||
            b === 0x09 ||
            b === 0x7b ||
            b === 0x5b ||
            b === 0x22
          ) {
            const value = this.#take(chunk, start, i);
            if (value instanceof RpcError) return value;
            out.push(value);
            start = -1;
            i--; // this byte starts (or separates) the next value
          }
          break;
      }
    }
    if (this.#mode !== Mode.Idle && start !== -1) {
      const rest = chunk.subarray(start);
      this.#size += rest.length;
      if (this.#size > this.#limit) return tooLarge(this.#limit);
      this.#parts.push(rest);
    }
    return out;
  }

  /** Ends the input: returns a last bare value, or an error when a value was cut off. */
  end(): Buffer[] | RpcError {
    if (this.#mode === Mode.Idle) return [];
    if (this.#mode === Mode.Bare) {
      const value = Buffer.concat(this.#parts, this.#size);
      this.#reset();
      return [value];
    }
    return new RpcError("request body ends inside a JSON message", Code.InvalidArgument);
  }

  /** Completes the current value with `chunk[start, end)`. */
  #take(chunk: Buffer, start: number, end: number): Buffer | RpcError {
    const tail = chunk.subarray(start, end);
    const size = this.#size + tail.length;
    if (size > this.#limit) return tooLarge(this.#limit);
    const value = this.#parts.length === 0 ? tail : Buffer.concat([...this.#parts, tail], size);
    this.#reset();
    return value;
  }

  #reset(): void {
    this.#mode = Mode.Idle;
    this.#parts = [];
    this.#size = 0;
  }
}

/**
 * Reads the JSON messages of a streaming request body as they arrive, one
 * buffer per message, pulling the body only as fast as they are consumed.
 * Throws an RpcError: RESOURCE_EXHAUSTED (413) for a message over `limit`
 * bytes, INVALID_ARGUMENT (400) for a cut-off message, CANCELLED when the
 * client aborts the upload.
 * @internal
 */
export async function* readJsonMessages(
  req: IncomingMessage,
  limit: number,
): AsyncGenerator<Buffer, void, undefined> {
  const framer = new JsonMessageFramer(limit);
  const parsed = preParsedBody(req);
  let source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
  if (parsed !== undefined) source = [parsed];
  else if (req.readableEnded) source = [];
  // A consumer that stops early must not destroy the request: that would close the socket the response goes out on.
  else source = req.iterator({ destroyOnReturn: false });
  try {
    for await (const chunk of source) {
      const values = framer.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      if (values instanceof RpcError) throw values;
      yield* values;
    }
  } catch (err) {
    if (err instanceof RpcError) throw err;
    throw new RpcError("client aborted the request body", Code.Cancelled, { cause: err });
  }
  const last = framer.end();
  if (last instanceof RpcError) throw last;
  yield* last;
}

function tooLarge(limit: number): RpcError {
  return new HttpStatusError(
    `a request message is larger than ${limit} bytes`,
    Code.ResourceExhausted,
    413,
  );
}
