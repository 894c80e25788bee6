import type { ServerResponse } from "node:http";
import type { Transform } from "node:stream";
import * as zlib from "node:zlib";
import type { CallOutcome, Middleware } from "../pipeline/pipeline.js";
import { type RouteRule, routePolicy } from "./route-policy.js";

/** A response content coding the gateway can produce. */
export type Encoding = "zstd" | "br" | "gzip" | "deflate";

/** Options of {@link compression}. */
export interface CompressionOptions extends CompressionPolicy {
  /**
   * Per-route compression, by selector: a rule's fields replace the
   * mux-wide ones; `options: false` sends the route's answers uncompressed.
   */
  routes?: readonly RouteRule<CompressionPolicy>[];
}

/** How a route's answers are compressed: per-route rules override these fields. */
export interface CompressionPolicy {
  /** Codings in order of preference, among those the client accepts. Default zstd (where Node has it), br, gzip. */
  encodings?: readonly Encoding[];
  /** Responses with a smaller `Content-Length` go out as they are. Default 1024. Streams are always compressed. */
  thresholdBytes?: number;
  /** Which `Content-Type`s are compressed. Default: JSON, NDJSON, text (SSE included), XML, JavaScript. */
  compressible?: (contentType: string) => boolean;
}

/** Whether this Node has zstd (`zlib.createZstdCompress`, Node ≥ 22.15). */
export const zstdAvailable =
  typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === "function";

const defaultEncodings: readonly Encoding[] = zstdAvailable
  ? ["zstd", "br", "gzip"]
  : ["br", "gzip"];

/**
 * Compresses responses by `Accept-Encoding`: a unary answer at or above the
 * threshold, and every stream (NDJSON, SSE, HttpBody), each write flushed
 * through the compressor at once so that no message is held back. Brotli
 * runs at quality 4 (fast, near gzip's cost). HEAD, 204, 304 and responses
 * that already have a `Content-Encoding` are left alone. A compressed call's
 * `outcome.bytesOut` (so the access log's `bytes_out` and the response size
 * metric) counts the compressed bytes: what went on the wire.
 */
export function compression(options: CompressionOptions = {}): Middleware {
  const policy = routePolicy<CompressionPolicy, Required<CompressionPolicy>>(
    options,
    options.routes,
    (o) => ({
      encodings: (o.encodings ?? defaultEncodings).filter((e) => e !== "zstd" || zstdAvailable),
      thresholdBytes: o.thresholdBytes ?? 1024,
      compressible: o.compressible ?? isCompressible,
    }),
  );
  return (call, next) => {
    const res = call.res;
    if (res === undefined || call.httpMethod === "HEAD") return next();
    const p = policy(call);
    if (p === undefined) return next();
    const encoding = negotiate(call.headers["accept-encoding"], p.encodings);
    if (encoding !== undefined) {
      compress(res, encoding, p.thresholdBytes, p.compressible, call.outcome);
    }
    return next();
  };
}

/** The client's most preferred coding among ours (q-values honoured, `q=0` refuses). */
export function negotiate(
  accept: string | undefined,
  encodings: readonly Encoding[],
): Encoding | undefined {
  if (accept === undefined || accept === "") return undefined;
  const q = new Map<string, number>();
  for (const part of accept.split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = qParam === undefined ? 1 : Number(qParam.slice(2));
    q.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  let best: Encoding | undefined;
  let bestQ = 0;
  for (const e of encodings) {
    const value = q.get(e) ?? q.get("*") ?? 0;
    if (value > bestQ) {
      best = e;
      bestQ = value;
    }
  }
  return best;
}

function isCompressible(contentType: string): boolean {
  return /^(text\/|application\/(json|x-ndjson|[^;]*\+json|xml|[^;]*\+xml|javascript))/i.test(
    contentType,
  );
}

function compressor(encoding: Encoding): { stream: Transform; flush: () => void } {
  switch (encoding) {
    case "gzip":
    case "deflate": {
      const stream = encoding === "gzip" ? zlib.createGzip() : zlib.createDeflate();
      return { stream, flush: () => stream.flush(zlib.constants.Z_SYNC_FLUSH) };
    }
    case "br": {
      const stream = zlib.createBrotliCompress({
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 },
      });
      return { stream, flush: () => stream.flush() };
    }
    case "zstd": {
      const create = (zlib as unknown as { createZstdCompress: () => zlib.Gzip })
        .createZstdCompress;
      const stream = create();
      return { stream, flush: () => stream.flush() };
    }
  }
}

/** Routes the response's body through a compressor, decided when its head goes out. */
function compress(
  res: ServerResponse,
  encoding: Encoding,
  threshold: number,
  compressible: (contentType: string) => boolean,
  outcome: CallOutcome,
): void {
  const write = res.write as (...a: unknown[]) => boolean;
  const end = res.end as (...a: unknown[]) => ServerResponse;
  const writeHead = res.writeHead as (...a: unknown[]) => ServerResponse;
  /** Sends the head now, so that the response counts as started while the compressor works. */
  const sendHead = () => {
    if (!res.headersSent) writeHead.call(res, res.statusCode);
  };
  let decided = false;
  let z: { stream: Transform; flush: () => void } | undefined;
  /** Whether the response is a stream (no Content-Length): each write is flushed. */
  let streaming = false;
  /** Compressed bytes written: the handlers count the bytes they hand over, this replaces them. */
  let wire = 0;
  const countWire = () => {
    outcome.bytesOut = wire;
  };

  const decide = () => {
    if (decided) return;
    decided = true;
    const status = res.statusCode;
    if (status < 200 || status === 204 || status === 304) return;
    if (res.hasHeader("content-encoding")) return;
    const type = res.getHeader("content-type");
    if (typeof type !== "string" || !compressible(type)) return;
    res.appendHeader("Vary", "Accept-Encoding");
    const length = res.getHeader("content-length");
    if (length !== undefined && Number(length) < threshold) return;
    streaming = length === undefined;
    res.removeHeader("content-length");
    res.setHeader("Content-Encoding", encoding);
    const c = compressor(encoding);
    z = c;
    // Before the call's outcome is final (it is, on the response's close): no middleware sees the uncompressed count.
    res.once("close", countWire);
    c.stream.on("data", (chunk: Buffer) => {
      wire += chunk.length;
      if (!write.call(res, chunk)) {
        c.stream.pause();
        res.once("drain", () => c.stream.resume());
      }
    });
    c.stream.on("end", () => {
      countWire();
      end.call(res);
    });
    c.stream.on("error", () => res.destroy());
  };

  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    decide();
    return writeHead.apply(this, args);
  } as ServerResponse["writeHead"];

  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]): boolean {
    decide();
    if (z === undefined) return write.call(this, chunk, ...rest);
    sendHead();
    const ok = z.stream.write(chunk, rest.find((r) => typeof r === "function") as () => void);
    if (streaming) z.flush();
    if (!ok) z.stream.once("drain", () => res.emit("drain"));
    return ok;
  } as ServerResponse["write"];

  res.end = function (this: ServerResponse, ...args: unknown[]): ServerResponse {
    decide();
    if (z === undefined) return end.apply(this, args);
    sendHead();
    const chunk = typeof args[0] === "function" ? undefined : args[0];
    if (chunk !== undefined && chunk !== null) z.stream.end(chunk);
    else z.stream.end();
    return this;
  } as ServerResponse["end"];
}
