import type { IncomingMessage } from "node:http";
import type { DescMessage, MessageShape, Registry } from "@bufbuild/protobuf";
import { errorBody } from "../core/error-body.js";
import type { ResponseJsonWriter } from "../core/response-message.js";
import type { RpcError } from "../core/rpc-error.js";
import { publicError } from "../wire/error-redaction.js";

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
}

/** How a stream writes its error frame: the detail types, and whether INTERNAL/UNKNOWN messages are redacted. @internal */
export interface StreamErrors {
  readonly registry: Registry;
  readonly redactInternalErrors: boolean;
}

/** The typeName of google.api.HttpBody, whose streams are written as raw bytes. */
const httpBodyTypeName = "google.api.HttpBody";

/**
 * Picks a stream's framing: raw bytes for `google.api.HttpBody` responses,
 * Server-Sent Events when the client accepts `text/event-stream`, and
 * otherwise grpc-gateway's newline-delimited `{"result": …}` / `{"error": …}`.
 * @internal
 */
export function selectStreamFormat(
  req: IncomingMessage,
  output: DescMessage,
  responseBody: string | undefined,
  writer: ResponseJsonWriter,
  errors: StreamErrors,
): StreamFormat {
  if (output.typeName === httpBodyTypeName && (responseBody ?? "") === "") return httpBodyFormat;
  if (acceptsEventStream(req.headers.accept)) return sseFormat(writer, errors);
  return ndjsonFormat(writer, errors);
}

/** True when an Accept header lists `text/event-stream`. */
export function acceptsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept);
}

/** grpc-gateway's default: `application/json`, one `{"result": <message>}` per line, a final `{"error": <status>}` line on failure. */
export function ndjsonFormat(writer: ResponseJsonWriter, errors: StreamErrors): StreamFormat {
  return {
    headers: () => ({ "Content-Type": "application/json" }),
    message: (m) => `{"result":${writer.write(m)}}\n`,
    error: (e) =>
      `{"error":${errorBody(publicError(e, errors.redactInternalErrors), errors.registry)}}\n`,
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
    message: (m) => `data: ${writer.write(m)}\n\n`,
    error: (e) =>
      `event: error\ndata: ${errorBody(publicError(e, errors.redactInternalErrors), errors.registry)}\n\n`,
    heartbeat: ": heartbeat\n\n",
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
