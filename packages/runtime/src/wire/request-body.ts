import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { HttpStatusError } from "../core/http-status-error.js";
import { Code, RpcError } from "../core/rpc-error.js";

/** Limits on request bodies. @internal */
export interface BodyLimits {
  /** Largest body (or streamed message) in bytes: larger is a 413. */
  readonly maxRequestBytes: number;
  /** Whether a JSON body may have this Content-Type; else 415. */
  readonly acceptsContentType: (contentType: string | undefined) => boolean;
}

/**
 * The body a framework middleware already read (`req.body`): a Buffer or a
 * string (`express.raw()`, `express.text()`) as it is, a parsed JSON value
 * (`express.json()`) serialized again, so it goes through the same decoding
 * and errors as a body read from the stream. Undefined when the body is
 * still in the stream (Express 4 sets `req.body = {}` without reading it).
 * @internal
 */
export function preParsedBody(req: IncomingMessage): Buffer | undefined {
  const parsed = (req as { body?: unknown }).body;
  if (Buffer.isBuffer(parsed)) return parsed;
  if (typeof parsed === "string") return Buffer.from(parsed);
  if (parsed === undefined || !req.readableEnded) return undefined;
  return Buffer.from(JSON.stringify(parsed));
}

/**
 * Reads a request body up to `limit` bytes. Too large → RESOURCE_EXHAUSTED
 * (the mux answers 413); an aborted upload → CANCELLED. Reuses a body a
 * framework already read (see {@link preParsedBody}). A body sent with
 * `Content-Encoding: gzip`, `deflate` or `br` is decoded as it arrives, and
 * `limit` applies to the decoded bytes (a small bomb stops at `limit`, never
 * expanded whole); other encodings answer 415, undecodable data 400.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(limit));
  }
  const parsed = preParsedBody(req);
  if (parsed !== undefined) {
    return parsed.length > limit ? Promise.reject(tooLarge(limit)) : Promise.resolve(parsed);
  }
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
          new HttpStatusError(
            `request body is not valid ${req.headers["content-encoding"]}`,
            Code.InvalidArgument,
            400,
            { cause: err },
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

/** A decoder for a request's `Content-Encoding`: undefined for none or identity, a 415 error for others. @internal */
export function decoderFor(
  encoding: string | undefined,
): (Readable & NodeJS.WritableStream) | RpcError | undefined {
  if (encoding === undefined) return undefined;
  // `identity` tokens change nothing: "identity, gzip" is gzip.
  const codings = encoding
    .split(",")
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== "" && token !== "identity");
  switch (codings.length > 1 ? encoding : (codings[0] ?? "")) {
    case "":
      return undefined;
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "br":
      return createBrotliDecompress();
    default:
      return new HttpStatusError(
        `request Content-Encoding ${encoding} is not supported (gzip, deflate, br are)`,
        Code.InvalidArgument,
        415,
      );
  }
}

function tooLarge(limit: number): RpcError {
  return new HttpStatusError(
    `request body is larger than ${limit} bytes`,
    Code.ResourceExhausted,
    413,
  );
}

/** The request encodings {@link readBody} decodes. */
const decodedEncodings = new Set(["identity", "gzip", "x-gzip", "deflate", "br"]);

/**
 * A 415 naming the request's `Content-Encoding` when the body is encoded in a
 * way the gateway does not decode: with `decoded` (bodies read by
 * {@link readBody} and streamed request messages) anything but identity,
 * gzip, deflate and br, without it anything but identity; `undefined` when the
 * body can be read.
 */
export function unsupportedContentEncoding(
  req: IncomingMessage,
  decoded: boolean,
): RpcError | undefined {
  const encoding = req.headers["content-encoding"];
  if (encoding === undefined) return undefined;
  const tokens = encoding
    .split(",")
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== "");
  const unsupported = tokens.filter(
    (t) => t !== "identity" && !(decoded && decodedEncodings.has(t)),
  );
  if (
    unsupported.length === 0 &&
    (!decoded || tokens.filter((t) => t !== "identity").length <= 1)
  ) {
    return undefined;
  }
  const named = unsupported.length > 0 ? unsupported : tokens;
  return new HttpStatusError(
    decoded
      ? `unsupported Content-Encoding "${named.join(", ")}": send the body unencoded, or with one of gzip, deflate, br`
      : `unsupported Content-Encoding "${named.join(", ")}": send the stream unencoded (identity)`,
    Code.InvalidArgument,
    415,
  );
}

/** True when a Content-Type header is JSON (`application/json`, `+json`) or absent. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === "") return true;
  const semi = contentType.indexOf(";");
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json");
}
