import type { IncomingMessage } from "node:http";
import { HttpStatusError } from "../core/http-status-error.js";
import { Code, RpcError } from "../core/rpc-error.js";

/**
 * Reads a request body up to `limit` bytes. Too large → RESOURCE_EXHAUSTED
 * (the mux answers 413); an aborted upload → CANCELLED. Reuses a body a
 * framework already parsed into a Buffer or string.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(limit));
  }
  const parsed = (req as { body?: unknown }).body;
  if (Buffer.isBuffer(parsed)) return Promise.resolve(parsed);
  if (typeof parsed === "string") return Promise.resolve(Buffer.from(parsed));
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

/** True when a Content-Type header is JSON (`application/json`, `+json`) or absent. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === "") return true;
  const semi = contentType.indexOf(";");
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json");
}
