import type { Registry } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import { compiledCodec } from "../codec/compiled-codec.js";
import { timeoutPolicy } from "../core/deadline.js";
import { createErrorDetailsRegistry } from "../core/error-body.js";
import type { UnescapeMode } from "../core/path-unescape.js";
import type { RequestDecodeOptions } from "../core/request-message.js";
import type { ResponseEncodeOptions } from "../core/response-message.js";
import type { HeaderMatcher } from "../headers/header-matcher.js";
import type { OutgoingHeaderMatcher } from "../headers/outgoing-headers.js";
import type { OutgoingHeaderRules } from "../headers/response-metadata.js";
import type { CallSetup } from "../pipeline/gateway-context.js";
import { type BodyLimits, isJsonContentType } from "../wire/request-body.js";
import type { ErrorHandler, ErrorWriting } from "../wire/response-writer.js";

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
  /**
   * Replace the message of INTERNAL and UNKNOWN errors with `internal error`
   * and drop their details, in every error body (HTTP, stream error lines,
   * WebSocket close reasons); the original error stays the `cause` of the one
   * `errorHandler` receives. Default false (as grpc-gateway: messages pass through).
   */
  redactInternalErrors?: boolean;
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
   * Server-Sent Events streams, empty lines on NDJSON streams (headers go out
   * after one interval even before a message) and pings on WebSockets (a WebSocket that
   * answers none of two pings is dropped). Default 15000; 0 disables.
   */
  heartbeatIntervalMs?: number;
  /**
   * Serve streaming methods over WebSocket too, on the same route templates,
   * through {@link Mux.handleUpgrade} (or `attachWebSocket(server, mux)`). Default false.
   */
  webSocket?: boolean;
  /**
   * Browser origins allowed to open a WebSocket (`Origin` header, e.g.
   * `"https://app.example"`), or a predicate. Upgrade requests without
   * `Origin` (not from a browser) are always served. Default: only the
   * request's own host (`Origin`'s host equal to `Host`); any other is a 403.
   */
  allowedOrigins?: readonly string[] | ((origin: string) => boolean);
  /**
   * A streaming response (HTTP or WebSocket) whose client takes no bytes for
   * this long is closed. Default 300 000 (Envoy's `stream_idle_timeout`, 5
   * min); 0 disables.
   */
  streamIdleTimeoutMs?: number;
  /**
   * Longest life of a streaming call (server, client or bidi; HTTP or
   * WebSocket): it then ends with DEADLINE_EXCEEDED as if its deadline had
   * passed. Default 0: none (as Envoy's `max_stream_duration`).
   */
  maxStreamDurationMs?: number;
  /**
   * Encodes and decodes messages (JSON bodies, and nothing else: a remote
   * backend's client has its own). Default `compiledCodec`; `protobufEsCodec`
   * is protobuf-es's reflective one.
   */
  codec?: Codec;
}

/**
 * The options after defaults are applied, once, at construction: one small
 * value per concern. Each handler is typed to take only the concerns it uses
 * (see `UnaryOptions`, `StreamingOptions`, `WebSocketOptions`), and the
 * functions below them take one concern each.
 * @internal
 */
export interface ResolvedMuxOptions {
  /** The options as given, for per-service overrides. */
  readonly input: MuxOptions;
  readonly notFound: "next" | "404";
  readonly unescape: UnescapeMode;
  readonly webSocket: boolean;
  /** Decoding requests: the codec, JSON reading, query parameters. */
  readonly decode: RequestDecodeOptions;
  /** Writing messages as JSON: the codec and its options. */
  readonly json: ResponseEncodeOptions;
  /** Request body size and Content-Type. */
  readonly limits: BodyLimits;
  /** The call context: header rules, timeouts. */
  readonly setup: CallSetup;
  /** Response metadata → headers. */
  readonly outgoing: OutgoingHeaderRules;
  /** Error answers. */
  readonly errors: ErrorWriting;
  /** Stream keepalives (SSE comments, NDJSON blank lines, WebSocket pings); 0 = off. */
  readonly heartbeatIntervalMs: number;
  /** A stream with no message either way for this long ends; 0 = off. */
  readonly streamIdleTimeoutMs: number;
  /** A stream ends after this long whatever happens; 0 = off. */
  readonly maxStreamDurationMs: number;
  /** Lower-cased origins, a predicate, or undefined for "same host only". */
  readonly allowedOrigins: readonly string[] | ((origin: string) => boolean) | undefined;
}

/** @internal */
export function resolveMuxOptions(options: MuxOptions = {}): ResolvedMuxOptions {
  const registry =
    options.registry === undefined
      ? createErrorDetailsRegistry()
      : createErrorDetailsRegistry(options.registry);
  const codec = options.codec ?? compiledCodec;
  const outgoing: OutgoingHeaderRules = {
    outgoingHeader: options.outgoingHeaderMatcher,
    outgoingTrailer: options.outgoingTrailerMatcher,
  };
  return {
    input: options,
    notFound: options.notFound ?? "next",
    unescape: options.unescape ?? "spec",
    webSocket: options.webSocket ?? false,
    decode: {
      codec,
      readJson: { ignoreUnknownFields: !(options.rejectUnknownFields ?? false), registry },
      rejectUnknownQueryParameters: options.rejectUnknownQueryParameters ?? false,
    },
    json: {
      codec,
      alwaysEmitImplicit: options.emitDefaultValues ?? false,
      useProtoFieldName: options.useProtoFieldName ?? false,
      enumAsInteger: options.enumAsInteger ?? false,
      registry,
    },
    limits: {
      maxRequestBytes: options.maxRequestBytes ?? 4 * 1024 * 1024,
      acceptsContentType: contentTypePredicate(options.acceptedContentTypes),
    },
    setup: {
      headerMatcher: options.headerMatcher,
      timeouts: timeoutPolicy(options.defaultTimeoutMs, options.maxTimeoutMs),
    },
    outgoing,
    errors: {
      registry,
      errorHandler: options.errorHandler,
      wwwAuthenticate:
        options.wwwAuthenticate === false ? undefined : (options.wwwAuthenticate ?? "Bearer"),
      outgoing,
      redactInternalErrors: options.redactInternalErrors ?? false,
    },
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 15_000,
    streamIdleTimeoutMs: options.streamIdleTimeoutMs ?? 300_000,
    maxStreamDurationMs: options.maxStreamDurationMs ?? 0,
    allowedOrigins:
      options.allowedOrigins === undefined || typeof options.allowedOrigins === "function"
        ? options.allowedOrigins
        : options.allowedOrigins.map((o) => o.toLowerCase()),
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
