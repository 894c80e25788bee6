import type { IncomingMessage } from "node:http";
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
 * framework already read (see {@link preParsedBody}).
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
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
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
      reject(new RpcError("request body could not be read", Code.Cancelled, { cause: err }));
    };
    const onClose = () => {
      if (req.readableEnded) return;
      cleanup();
      reject(new RpcError("client closed the request before sending its body", Code.Cancelled));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

function tooLarge(limit: number): RpcError {
  return new HttpStatusError(
    `request body is larger than ${limit} bytes`,
    Code.ResourceExhausted,
    413,
  );
}

/**
 * A 415 naming the request's `Content-Encoding` when the body is encoded in a
 * way the gateway does not decode (anything but `identity`); `undefined` when
 * the body can be read as it is.
 */
export function unsupportedContentEncoding(req: IncomingMessage): RpcError | undefined {
  const encoding = req.headers["content-encoding"];
  if (encoding === undefined) return undefined;
  const unsupported = encoding
    .split(",")
    .map((token) => token.trim())
    .filter((token) => token !== "" && token.toLowerCase() !== "identity");
  if (unsupported.length === 0) return undefined;
  return new HttpStatusError(
    `unsupported Content-Encoding "${unsupported.join(", ")}": send the body unencoded (identity)`,
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
