import type { IncomingMessage } from "node:http";
import type { DescMessage, MessageShape, Registry } from "@bufbuild/protobuf";
import { errorBody } from "../core/error-body.js";
import type { ResponseJsonWriter } from "../core/response-message.js";
import type { RpcError } from "../core/rpc-error.js";
import { publicError } from "../wire/error-redaction.js";
import type { StreamErrorHandler } from "../wire/response-writer.js";

/**
 * How a stream of response messages is framed on an HTTP response body.
 * @internal
 */
export interface StreamFormat {
  /** The response headers, given the first message (HttpBody takes its Content-Type from it). */
  headers(first: MessageShape<DescMessage> | undefined): Record<string, string>;
  /** The bytes of one message. */
  message(message: MessageShape<DescMessage>): string | Uint8Array;
  /** The bytes of a failure after the headers went out, or undefined when the format cannot say (the response is aborted). */
  error(error: RpcError): string | undefined;
  /** A keepalive the client ignores, or undefined when the format has none. */
  readonly heartbeat: string | undefined;
  /** The bytes that close a stream that ended well (a JSON array's `]`), or undefined. */
  end?(): string | undefined;
}

/**
 * How non-SSE JSON streams are framed: grpc-gateway's newline-delimited
 * `{"result": …}` lines, or one JSON array of the messages (Envoy's default).
 */
export type StreamFraming = "ndjson" | "json-array";

/**
 * How a stream writes its error frame: the detail types, whether
 * INTERNAL/UNKNOWN messages are redacted, and the frame's JSON when the
 * `streamErrorHandler` option shapes it. @internal
 */
export interface StreamErrors {
  readonly registry: Registry;
  readonly redactInternalErrors: boolean;
  readonly streamErrorHandler: StreamErrorHandler | undefined;
}

/** The typeName of google.api.HttpBody, whose streams are written as raw bytes. */
const httpBodyTypeName = "google.api.HttpBody";

/**
 * Picks a stream's framing: raw bytes for `google.api.HttpBody` responses,
 * Server-Sent Events when the client accepts `text/event-stream`, and
 * otherwise `framing`: grpc-gateway's newline-delimited `{"result": …}` /
 * `{"error": …}` (the default), or one JSON array. A format may hold state:
 * select one per response.
 * @internal
 */
export function selectStreamFormat(
  req: IncomingMessage,
  output: DescMessage,
  responseBody: string | undefined,
  writer: ResponseJsonWriter,
  errors: StreamErrors,
  framing: StreamFraming = "ndjson",
): StreamFormat {
  if (output.typeName === httpBodyTypeName && (responseBody ?? "") === "") return httpBodyFormat;
  if (acceptsEventStream(req.headers.accept)) return sseFormat(writer, errors);
  return framing === "json-array" ? jsonArrayFormat(writer, errors) : ndjsonFormat(writer, errors);
}

/** The JSON text of a stream's error frame: the `streamErrorHandler`'s, else `{"error": <status>}`. */
function errorFrameJson(error: RpcError, errors: StreamErrors): string {
  const e = publicError(error, errors.redactInternalErrors);
  if (errors.streamErrorHandler !== undefined) {
    try {
      const text = JSON.stringify(errors.streamErrorHandler(e));
      if (typeof text === "string") return text;
    } catch {
      // A failing handler gets the default frame rather than no frame.
    }
  }
  return `{"error":${errorBody(e, errors.registry)}}`;
}

/** True when an Accept header lists `text/event-stream`. */
export function acceptsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept);
}

/** grpc-gateway's default: `application/json`, one `{"result": <message>}` per line, a final `{"error": <status>}` line on failure. */
export function ndjsonFormat(writer: ResponseJsonWriter, errors: StreamErrors): StreamFormat {
  return {
    headers: () => ({ "Content-Type": "application/json" }),
    message: (m) => `{"result":${writer.writeLine(m)}}\n`,
    error: (e) => `${errorFrameJson(e, errors)}\n`,
    // An empty line: NDJSON readers skip blank lines, and proxies (nginx's 60 s
    // proxy_read_timeout) see bytes on an idle stream.
    heartbeat: "\n",
  };
}

/** Server-Sent Events: `data: <message>` per event, `event: error` for a failure, `:` comments as heartbeats. */
export function sseFormat(writer: ResponseJsonWriter, errors: StreamErrors): StreamFormat {
  return {
    headers: () => ({
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      "X-Accel-Buffering": "no",
    }),
    message: (m) => `data: ${writer.writeLine(m)}\n\n`,
    error: (e) => {
      if (errors.streamErrorHandler === undefined) {
        const body = errorBody(publicError(e, errors.redactInternalErrors), errors.registry);
        return `event: error\ndata: ${body}\n\n`;
      }
      // The handler's JSON is an object, not the bare status: the event's data as it says.
      return `event: error\ndata: ${errorFrameJson(e, errors)}\n\n`;
    },
    heartbeat: ": heartbeat\n\n",
  };
}

/**
 * One JSON array of the messages (Envoy's transcoder default): `[` with the
 * first message, `,` before each next, `]` at the end (`[]` for none). A
 * failure after the first bytes ends the array with the error frame as its
 * last element (`{"error": <status>}`, or the `streamErrorHandler`'s). Its
 * heartbeat is a newline, whitespace JSON allows between elements.
 */
export function jsonArrayFormat(writer: ResponseJsonWriter, errors: StreamErrors): StreamFormat {
  let opened = false;
  const separator = () => {
    if (opened) return ",";
    opened = true;
    return "[";
  };
  return {
    headers: () => ({ "Content-Type": "application/json" }),
    message: (m) => {
      const text = writer.write(m); // may throw (a rewriter, the size cap): before the separator
      return `${separator()}${text}`;
    },
    error: (e) => `${separator()}${errorFrameJson(e, errors)}]\n`,
    heartbeat: "\n",
    end: () => (opened ? "]\n" : "[]\n"),
  };
}

interface HttpBodyShape {
  contentType: string;
  data: Uint8Array;
}

/** google.api.HttpBody: the first message's `content_type`, then every message's `data`, unframed. */
const httpBodyFormat: StreamFormat = {
  headers: (first) => ({
    "Content-Type": (first as HttpBodyShape | undefined)?.contentType || "application/octet-stream",
  }),
  message: (m) => (m as unknown as HttpBodyShape).data,
  error: () => undefined,
  heartbeat: undefined,
};
