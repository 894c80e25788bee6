import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { withHttpStatus } from "./response-writer.js";
import { Code, RpcError } from "../core/rpc-error.js";

/**
 * Reads a request body up to `limit` bytes. Too large → RESOURCE_EXHAUSTED
 * (the mux answers 413); an aborted upload → CANCELLED. Reuses a body a
 * framework already parsed into a Buffer or string. A body sent with
 * `Content-Encoding: gzip`, `deflate` or `br` is decoded as it arrives, and
 * `limit` applies to the decoded bytes (a small bomb stops at `limit`, never
 * expanded whole); other encodings answer 415, undecodable data 400.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(limit));
  }
  const parsed = (req as { body?: unknown }).body;
  if (Buffer.isBuffer(parsed)) return Promise.resolve(parsed);
  if (typeof parsed === "string") return Promise.resolve(Buffer.from(parsed));
  const decoder = decoderFor(req.headers["content-encoding"]);
  if (decoder instanceof RpcError) return Promise.reject(decoder);
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  const source: Readable = decoder === undefined ? req : req.pipe(decoder);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("error", onError);
      req.off("error", onError);
      req.off("close", onClose);
      if (decoder !== undefined) {
        req.unpipe(decoder);
        decoder.destroy();
        decoder.on("error", () => {});
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      if (
        decoder !== undefined &&
        err !== undefined &&
        (err as { errno?: unknown }).errno !== undefined
      ) {
        req.resume();
        reject(
          withHttpStatus(
            new RpcError(
              `request body is not valid ${req.headers["content-encoding"]}`,
              Code.InvalidArgument,
              { cause: err },
            ),
            400,
          ),
        );
        return;
      }
      reject(new RpcError("request body could not be read", Code.Cancelled, { cause: err }));
    };
    const onClose = () => {
      if (req.readableEnded) return;
      cleanup();
      reject(new RpcError("client closed the request before sending its body", Code.Cancelled));
    };
    source.on("data", onData);
    source.on("end", onEnd);
    source.on("error", onError);
    if (source !== req) req.on("error", onError);
    req.on("close", onClose);
  });
}

/** A decoder for a request's `Content-Encoding`: undefined for none or identity, a 415 error for others. */
function decoderFor(
  encoding: string | undefined,
): (Readable & NodeJS.WritableStream) | RpcError | undefined {
  if (encoding === undefined) return undefined;
  switch (encoding.trim().toLowerCase()) {
    case "":
    case "identity":
      return undefined;
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "br":
      return createBrotliDecompress();
    default:
      return withHttpStatus(
        new RpcError(
          `request Content-Encoding ${encoding} is not supported (gzip, deflate, br are)`,
          Code.InvalidArgument,
        ),
        415,
      );
  }
}

function tooLarge(limit: number): RpcError {
  return withHttpStatus(
    new RpcError(`request body is larger than ${limit} bytes`, Code.ResourceExhausted),
    413,
  );
}

/** True when a Content-Type header is JSON (`application/json`, `+json`) or absent. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === "") return true;
  const semi = contentType.indexOf(";");
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json");
}
