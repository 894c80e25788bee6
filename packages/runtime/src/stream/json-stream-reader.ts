import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { HttpStatusError } from "../core/http-status-error.js";
import { Code, RpcError } from "../core/rpc-error.js";
import { decoderFor, preParsedBody } from "../wire/request-body.js";

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
  /** Whitespace bytes skipped since the last value: at most `limit` too, so no input goes unbounded. */
  #gap = 0;

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
          if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) {
            if (++this.#gap > this.#limit)
              return tooLarge(this.#limit, "whitespace between request messages is");
            continue;
          }
          this.#gap = 0;
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
 * A body sent with `Content-Encoding: gzip`, `deflate` or `br` is decoded as
 * a stream, and `limit` applies to each decoded message (and to the
 * whitespace between two), so a small bomb stops at `limit` bytes, never
 * expanded whole.
 * Throws an RpcError: RESOURCE_EXHAUSTED (413) for a message over `limit`
 * bytes, INVALID_ARGUMENT (400) for a cut-off message or undecodable data,
 * 415 for another encoding, CANCELLED when the client aborts the upload.
 * @internal
 */
export async function* readJsonMessages(
  req: IncomingMessage,
  limit: number,
): AsyncGenerator<Buffer, void, undefined> {
  const framer = new JsonMessageFramer(limit);
  const parsed = preParsedBody(req);
  let source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
  let decoder: ReturnType<typeof decoderFor>;
  if (parsed !== undefined) source = [parsed];
  else if (req.readableEnded) source = [];
  else {
    decoder = decoderFor(req.headers["content-encoding"]);
    if (decoder instanceof RpcError) throw decoder;
    // A consumer that stops early must not destroy the request: that would close the socket the response goes out on.
    source =
      decoder === undefined ? req.iterator({ destroyOnReturn: false }) : decoded(req, decoder);
  }
  try {
    for await (const chunk of source) {
      const values = framer.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      if (values instanceof RpcError) throw values;
      yield* values;
    }
  } catch (err) {
    if (err instanceof RpcError) throw err;
    if (decoder !== undefined && (err as { errno?: unknown } | undefined)?.errno !== undefined) {
      throw new HttpStatusError(
        `request stream is not valid ${req.headers["content-encoding"]}`,
        Code.InvalidArgument,
        400,
        { cause: err },
      );
    }
    throw new RpcError("client aborted the request body", Code.Cancelled, { cause: err });
  } finally {
    // Stopped early (a bad message, the call ended): the rest of the body is read and
    // dropped, so that the connection can carry the next request after the answer.
    if (parsed === undefined && !req.readableEnded) req.resume();
  }
  const last = framer.end();
  if (last instanceof RpcError) throw last;
  yield* last;
}

/**
 * The decoded bytes of an encoded request body, pulled through `decoder` as
 * they are read (the decoder holds one output chunk at a time). An aborted
 * upload fails the iteration; stopping early unpipes the request and frees
 * the decoder, leaving the request itself alone.
 */
async function* decoded(
  req: IncomingMessage,
  decoder: Readable & NodeJS.WritableStream,
): AsyncGenerator<Buffer, void, undefined> {
  const aborted = () => {
    if (!req.readableEnded) decoder.destroy(new Error("request aborted"));
  };
  req.once("close", aborted);
  req.once("error", aborted);
  req.pipe(decoder);
  try {
    yield* decoder.iterator({ destroyOnReturn: true }) as AsyncIterable<Buffer>;
  } finally {
    req.off("close", aborted);
    req.off("error", aborted);
    req.unpipe(decoder);
    decoder.destroy();
  }
}

function tooLarge(limit: number, what = "a request message is"): RpcError {
  return new HttpStatusError(`${what} larger than ${limit} bytes`, Code.ResourceExhausted, 413);
}
