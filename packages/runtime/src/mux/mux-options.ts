import type { Registry } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";
import { compiledCodec } from "../codec/compiled-codec.js";
import { timeoutPolicy } from "../core/deadline.js";
import { EnumNames } from "../core/enum-names.js";
import { createErrorDetailsRegistry } from "../core/error-body.js";
import { Int64Numbers } from "../core/int64-numbers.js";
import type { UnescapeMode } from "../core/path-unescape.js";
import type { RequestDecodeOptions } from "../core/request-message.js";
import type { ResponseEncodeOptions, ResponseRewriter } from "../core/response-message.js";
import { type Protocol, resolveProtocols } from "../core/rpc-protocols.js";
import type { HeaderMatcher } from "../headers/header-matcher.js";
import type { OutgoingHeaderMatcher } from "../headers/outgoing-headers.js";
import type { OutgoingHeaderRules } from "../headers/response-metadata.js";
import type { CallSetup } from "../pipeline/gateway-context.js";
import type { RequestInterceptor } from "../pipeline/request-checks.js";
import type { StreamFraming } from "../stream/stream-format.js";
import type { ValidationOptions } from "../validation/message-validator.js";
import { type MultipartOptions, multipartLimits } from "../wire/multipart-limits.js";
import { type BodyLimits, isJsonContentType } from "../wire/request-body.js";
import type { ErrorHandler, ErrorWriting, StreamErrorHandler } from "../wire/response-writer.js";

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

/**
 * The mux options a {@link Mux.register} call can override for one service's
 * routes (besides {@link JsonOptions}).
 */
export type RouteMuxOptions = Pick<
  MuxOptions,
  | "rejectUnknownQueryParameters"
  | "indent"
  | "int64AsNumber"
  | "rejectBindingBodyFieldCollisions"
  | "ignoredQueryParameters"
  | "captureUnknownQueryParameters"
  | "caseInsensitiveEnumParsing"
  | "removeEnumPrefix"
  | "streamFraming"
  | "maxResponseBytes"
  | "responseRewriter"
  | "streamErrorHandler"
>;

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
  /**
   * Pretty-print response JSON with this many spaces (Envoy's
   * `print_options.add_whitespace`, grpc-gateway's `Indent`), 1 to 10
   * (`JSON.stringify`'s range). Applies to unary responses, JSON-array stream
   * elements and client-stream answers; NDJSON and SSE lines and WebSocket
   * frames stay on one line. Default 0: compact.
   */
  indent?: number;
  /**
   * Write 64-bit integers (int64, uint64, sint64, fixed64, sfixed64 and their
   * wrappers) as JSON numbers, every digit kept, instead of proto3 JSON's
   * strings (ASP.NET's `WriteInt64sAsStrings: false`). JavaScript clients
   * then lose precision past 2^53. Request bodies accept both forms anyway.
   * Default false.
   */
  int64AsNumber?: boolean;
  /**
   * Answer 400 INVALID_ARGUMENT for a JSON request body that sets a field a
   * path variable binds (Envoy's `reject_binding_body_field_collisions`).
   * Default false: the path's value wins, as grpc-gateway and Envoy do. Form
   * bodies skip path-bound keys either way.
   */
  rejectBindingBodyFieldCollisions?: boolean;
  /**
   * The name (proto or JSON) of a top-level `map<string, string>` request
   * field that takes the query parameters naming no field, key → value, on the
   * routes whose request message has it (Envoy's
   * `capture_unknown_query_parameters`); a key sent twice answers 400. Elsewhere
   * unknown parameters are ignored or refused as before. Default none.
   */
  captureUnknownQueryParameters?: string;
  /**
   * Match enum names in requests (JSON bodies, query, path) case-insensitively:
   * `red` and `Color_Red` are `COLOR_RED` (Envoy's
   * `case_insensitive_enum_parsing`). Default false: as declared.
   */
  caseInsensitiveEnumParsing?: boolean;
  /**
   * Write enum names without their enum's prefix (`RED` for `COLOR_RED` of
   * `enum Color`) and accept both forms in requests (ASP.NET's
   * `RemoveEnumPrefix`). A name whose rest would start with a digit keeps its
   * prefix. No effect on responses with `enumAsInteger`. Default false.
   */
  removeEnumPrefix?: boolean;
  /**
   * Query parameter names skipped whatever they name (Envoy's
   * `ignored_query_parameters`), e.g. `["api_key"]`: never bound to a field,
   * never refused by `rejectUnknownQueryParameters`. Compared as sent (before
   * any `[map key]`). Default none.
   */
  ignoredQueryParameters?: readonly string[];
  /**
   * How a server stream is framed when the client does not ask for
   * `text/event-stream`: `"ndjson"` (grpc-gateway's `{"result": …}` lines,
   * the default) or `"json-array"` (one JSON array of the messages, Envoy's
   * transcoder default).
   */
  streamFraming?: StreamFraming;
  /**
   * Largest response message the gateway writes, in bytes of JSON (Envoy's
   * `max_response_body_size`); each message of a stream counts alone. A
   * larger one answers 502 with RESOURCE_EXHAUSTED (`google.rpc.Status`), or
   * ends a stream whose headers went out with that error frame; never a
   * truncated 200. Default 0: no cap.
   */
  maxResponseBytes?: number;
  /**
   * Reshapes each response's JSON before it is written (grpc-gateway's
   * `WithForwardResponseRewriter`), unary and per stream message; see
   * {@link ResponseRewriter}.
   */
  responseRewriter?: ResponseRewriter;
  /**
   * Shapes the error frame of a stream that fails after its headers went out
   * (grpc-gateway's `WithStreamErrorHandler`); see {@link StreamErrorHandler}.
   */
  streamErrorHandler?: StreamErrorHandler;
  /** Types `google.protobuf.Any` fields and error details may hold; google.rpc error details are always known. */
  registry?: Registry;
  /** Largest accepted request body in bytes; larger answers 413. Default 4 MiB. */
  maxRequestBytes?: number;
  /**
   * Bounds of `multipart/form-data` bodies (parts, text parts, files, header
   * and file sizes) and the chunk size of files streamed into client-streaming
   * methods; see `docs/forms-and-uploads.md`.
   */
  multipart?: MultipartOptions;
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
  /**
   * Enforce the request messages' protovalidate (`buf.validate`) rules before
   * the backend is called, with `@bufbuild/protovalidate` (an optional peer,
   * loaded only then): a message that breaks them answers 400
   * INVALID_ARGUMENT with a `google.rpc.BadRequest` detail, one field
   * violation per broken rule. `true`, or options (per-route rules, response
   * validation). Default false. See docs/validation.md.
   */
  validate?: boolean | ValidationOptions;
  /**
   * Code that sees every decoded request message before the backend does
   * (after validation), in order; see {@link RequestInterceptor}.
   */
  requestInterceptors?: readonly RequestInterceptor[];
  /**
   * The protocols served. `rest` is the HttpRule routes (JSON); `connect`,
   * `grpc-web` and `grpc` serve every registered service's methods at
   * `POST /<package>.<Service>/<Method>` through connect-es's handlers
   * (optional peers `@connectrpc/connect` and `@connectrpc/connect-node`),
   * forwarding to the same backend, through the same middlewares. Native
   * gRPC needs an HTTP/2 server (`node:http2`, the gateway's `h2c`/`h2`
   * listeners). Default `["rest"]`.
   */
  protocols?: readonly Protocol[];
  /**
   * Longest URL of a Connect GET request (its message travels in the query);
   * longer answers `resource_exhausted`. Default 8192 (nginx's
   * `large_client_header_buffers`); Node's own header limit (16 KiB by
   * default) answers 431 for longer request heads before the mux sees them.
   */
  maxConnectGetUrlBytes?: number;
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
  /** How non-SSE JSON streams are framed. */
  readonly streamFraming: StreamFraming;
  /** The protocols served (see {@link MuxOptions.protocols}). */
  readonly protocols: ReadonlySet<Protocol>;
  /** Longest URL of a Connect GET. */
  readonly maxConnectGetUrlBytes: number;
  /** Lower-cased origins, a predicate, or undefined for "same host only". */
  readonly allowedOrigins: readonly string[] | ((origin: string) => boolean) | undefined;
  /** Request (and response) validation; undefined when off. */
  readonly validation: ValidationOptions | undefined;
  /** What sees each decoded request message. */
  readonly requestInterceptors: readonly RequestInterceptor[];
}

/** @internal */
export function resolveMuxOptions(options: MuxOptions = {}): ResolvedMuxOptions {
  const registry =
    options.registry === undefined
      ? createErrorDetailsRegistry()
      : createErrorDetailsRegistry(options.registry);
  const codec = options.codec ?? compiledCodec;
  const enumNames =
    options.caseInsensitiveEnumParsing === true || options.removeEnumPrefix === true
      ? new EnumNames(
          options.caseInsensitiveEnumParsing ?? false,
          options.removeEnumPrefix ?? false,
        )
      : undefined;
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
      ignoredQueryParameters: new Set(options.ignoredQueryParameters ?? []),
      rejectBindingBodyFieldCollisions: options.rejectBindingBodyFieldCollisions ?? false,
      enumNames,
      captureUnknownQueryParameters: options.captureUnknownQueryParameters,
    },
    json: {
      codec,
      alwaysEmitImplicit: options.emitDefaultValues ?? false,
      useProtoFieldName: options.useProtoFieldName ?? false,
      enumAsInteger: options.enumAsInteger ?? false,
      registry,
      indent: checkedInt("indent", options.indent, 0, 10),
      int64Numbers: options.int64AsNumber === true ? new Int64Numbers() : undefined,
      maxResponseBytes: checkedInt(
        "maxResponseBytes",
        options.maxResponseBytes,
        0,
        Number.MAX_SAFE_INTEGER,
      ),
      responseRewriter: options.responseRewriter,
      enumNames: options.enumAsInteger === true ? undefined : enumNames,
    },
    limits: {
      maxRequestBytes: options.maxRequestBytes ?? 4 * 1024 * 1024,
      multipart: multipartLimits(options.multipart),
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
      streamErrorHandler: options.streamErrorHandler,
    },
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 15_000,
    streamIdleTimeoutMs: options.streamIdleTimeoutMs ?? 300_000,
    maxStreamDurationMs: options.maxStreamDurationMs ?? 0,
    streamFraming: options.streamFraming ?? "ndjson",
    protocols: resolveProtocols(options.protocols),
    maxConnectGetUrlBytes: options.maxConnectGetUrlBytes ?? 8192,
    allowedOrigins:
      options.allowedOrigins === undefined || typeof options.allowedOrigins === "function"
        ? options.allowedOrigins
        : options.allowedOrigins.map((o) => o.toLowerCase()),
    validation:
      options.validate === true
        ? {}
        : options.validate === false || options.validate === undefined
          ? undefined
          : options.validate,
    requestInterceptors: options.requestInterceptors ?? [],
  };
}

/** An integer option within bounds (0 when unset); a configuration error throws. */
function checkedInt(name: string, value: number | undefined, min: number, max: number): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, not ${value}`);
  }
  return value;
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
