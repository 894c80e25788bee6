import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import { compiledCodec } from "../codec/compiled-codec.js";
import { type TimeoutPolicy, timeoutPolicy } from "../core/deadline.js";
import { createErrorDetailsRegistry } from "../core/error-body.js";
import type { UnescapeMode } from "../core/path-unescape.js";
import type { HeaderMatcher, OutgoingHeaderMatcher } from "./header-matcher.js";
import { isJsonContentType } from "./request-body.js";
import type { RpcError } from "../core/rpc-error.js";

/** How messages are written as JSON (proto3 JSON mapping, via @bufbuild/protobuf). */
export interface JsonOptions {
  /** Emit fields with default values (grpc-gateway's `EmitUnpopulated`). Default false. */
  emitDefaultValues?: boolean;
  /** Use proto field names (`page_size`) instead of JSON names (`pageSize`). Default false. */
  useProtoFieldName?: boolean;
  /** Write enum values as integers instead of names. Default false. */
  enumAsInteger?: boolean;
  /** Reject unknown fields in request bodies with 400. Default false: ignored, as grpc-gateway does. */
  rejectUnknownFields?: boolean;
}

/** Writes an error response. Replaces the default `google.rpc.Status` JSON writer. */
export type ErrorHandler = (error: RpcError, req: IncomingMessage, res: ServerResponse) => void;

/** Options of a {@link Mux}, applied to every route registered on it. */
export interface MuxOptions extends JsonOptions {
  /**
   * What to do with a request no route matches. `"next"` (the default) calls
   * the framework's `next()` when there is one and answers 404 otherwise;
   * `"404"` always answers 404 with a `google.rpc.Status` body.
   */
  notFound?: "next" | "404";
  /** Percent-decoding of path variables; default `"spec"` (see `UnescapeMode`). */
  unescape?: UnescapeMode;
  /** Answer 400 for query parameters that name no field. Default false: ignored. */
  rejectUnknownQueryParameters?: boolean;
  /** Types `google.protobuf.Any` fields and error details may hold; google.rpc error details are always known. */
  registry?: Registry;
  /** Largest accepted request body in bytes; larger answers 413. Default 4 MiB. */
  maxRequestBytes?: number;
  /**
   * Which request `Content-Type`s a JSON request body may have; others answer
   * 415. A list of media types (compared without parameters, case-insensitively;
   * a request without the header is accepted) or a predicate (it receives the
   * header as sent, or undefined). The default accepts `application/json`, any
   * `+json` type, and a missing header. Not applied to `google.api.HttpBody` bodies.
   */
  acceptedContentTypes?: readonly string[] | ((contentType: string | undefined) => boolean);
  /**
   * Timeout in milliseconds of calls whose request has no `Grpc-Timeout`
   * header. Default: none (0 also means none).
   */
  defaultTimeoutMs?: number;
  /** Upper bound in milliseconds of every call's timeout, also of one a client asks for with `Grpc-Timeout`. Default: none. */
  maxTimeoutMs?: number;
  /**
   * `WWW-Authenticate` value of 401 (UNAUTHENTICATED) answers when the
   * backend's error carries no `www-authenticate` metadata; false sends none.
   * Default `"Bearer"`.
   */
  wwwAuthenticate?: string | false;
  /** Writes error responses; the default writes `google.rpc.Status` JSON. */
  errorHandler?: ErrorHandler;
  /** Maps request header names to metadata keys; replaces `defaultHeaderMatcher` (call it from yours to extend it). */
  headerMatcher?: HeaderMatcher;
  /** Maps response header metadata keys to HTTP header names; default `Grpc-Metadata-<key>`. */
  outgoingHeaderMatcher?: OutgoingHeaderMatcher;
  /** Maps response trailer metadata keys to HTTP header names; default `Grpc-Trailer-<key>`. */
  outgoingTrailerMatcher?: OutgoingHeaderMatcher;
  /**
   * Interval of stream keepalives in milliseconds: `:` comment lines on
   * Server-Sent Events streams and pings on WebSockets (a WebSocket that
   * answers none of two pings is dropped). Default 15000; 0 disables.
   */
  heartbeatIntervalMs?: number;
  /**
   * Serve streaming methods over WebSocket too, on the same route templates,
   * through {@link Mux.handleUpgrade} (or `attachWebSocket(server, mux)`). Default false.
   */
  webSocket?: boolean;
  /**
   * Encodes and decodes messages (JSON bodies, and nothing else: a remote
   * backend's client has its own). Default `compiledCodec`; `protobufEsCodec`
   * is protobuf-es's reflective one.
   */
  codec?: Codec;
}

/** Options after defaults are applied, once, at construction. @internal */
export interface ResolvedMuxOptions {
  /** The options as given, for per-service overrides. */
  readonly input: MuxOptions;
  readonly headers: {
    readonly headerMatcher: HeaderMatcher | undefined;
    readonly outgoingHeader: OutgoingHeaderMatcher | undefined;
    readonly outgoingTrailer: OutgoingHeaderMatcher | undefined;
  };
  readonly notFound: "next" | "404";
  readonly unescape: UnescapeMode;
  readonly rejectUnknownQueryParameters: boolean;
  readonly registry: Registry;
  readonly maxRequestBytes: number;
  readonly acceptsContentType: (contentType: string | undefined) => boolean;
  readonly timeouts: TimeoutPolicy;
  readonly wwwAuthenticate: string | undefined;
  readonly errorHandler: ErrorHandler | undefined;
  readonly heartbeatIntervalMs: number;
  readonly webSocket: boolean;
  readonly codec: Codec;
  readonly readJson: { ignoreUnknownFields: boolean; registry: Registry };
  /** protobuf-es `toJson` options (its name for emitDefaultValues is alwaysEmitImplicit). */
  readonly writeJson: {
    alwaysEmitImplicit: boolean;
    useProtoFieldName: boolean;
    enumAsInteger: boolean;
    registry: Registry;
  };
}

/** @internal */
export function resolveMuxOptions(options: MuxOptions = {}): ResolvedMuxOptions {
  const registry =
    options.registry === undefined
      ? createErrorDetailsRegistry()
      : createErrorDetailsRegistry(options.registry);
  return {
    input: options,
    headers: {
      headerMatcher: options.headerMatcher,
      outgoingHeader: options.outgoingHeaderMatcher,
      outgoingTrailer: options.outgoingTrailerMatcher,
    },
    notFound: options.notFound ?? "next",
    unescape: options.unescape ?? "spec",
    rejectUnknownQueryParameters: options.rejectUnknownQueryParameters ?? false,
    registry,
    maxRequestBytes: options.maxRequestBytes ?? 4 * 1024 * 1024,
    acceptsContentType: contentTypePredicate(options.acceptedContentTypes),
    timeouts: timeoutPolicy(options.defaultTimeoutMs, options.maxTimeoutMs),
    wwwAuthenticate:
      options.wwwAuthenticate === false ? undefined : (options.wwwAuthenticate ?? "Bearer"),
    errorHandler: options.errorHandler,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 15_000,
    webSocket: options.webSocket ?? false,
    codec: options.codec ?? compiledCodec,
    readJson: { ignoreUnknownFields: !(options.rejectUnknownFields ?? false), registry },
    writeJson: {
      alwaysEmitImplicit: options.emitDefaultValues ?? false,
      useProtoFieldName: options.useProtoFieldName ?? false,
      enumAsInteger: options.enumAsInteger ?? false,
      registry,
    },
  };
}

function contentTypePredicate(
  accepted: MuxOptions["acceptedContentTypes"],
): (contentType: string | undefined) => boolean {
  if (accepted === undefined) return isJsonContentType;
  if (typeof accepted === "function") return accepted;
  const types = new Set(accepted.map((t) => t.trim().toLowerCase()));
  return (contentType) => {
    if (contentType === undefined || contentType === "") return true;
    const semi = contentType.indexOf(";");
    return types.has((semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase());
  };
}
