import type { IncomingMessage } from "node:http";
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import type { CallContext } from "../core/call-context.js";
import { HttpStatusError } from "../core/http-status-error.js";
import { RequestMessageBuilder } from "../core/request-message.js";
import { ResponseJsonWriter } from "../core/response-message.js";
import type { RouteSpec } from "../core/route-spec.js";
import { Code, RpcError } from "../core/rpc-error.js";
import { acceptsTrailers, writeResponseMetadata } from "../headers/response-metadata.js";
import { type GatewayCallContext, gatewayContext } from "../pipeline/gateway-context.js";
import type { PipelineCall } from "../pipeline/pipeline.js";
import type { RouteHandler, UnaryOptions } from "../unary/unary-handler.js";
import { readBody, unsupportedContentEncoding } from "../wire/request-body.js";
import { writeError, writeJson } from "../wire/response-writer.js";
import { readJsonMessages } from "./json-stream-reader.js";
import { toMessage, writeResponseStream } from "./response-stream.js";
import { selectStreamFormat } from "./stream-format.js";

type StreamCall = (request: unknown, context: unknown) => unknown;

/** The option values a streaming route's handler uses: a unary route's and the keepalive interval. @internal */
export interface StreamingOptions extends UnaryOptions {
  readonly heartbeatIntervalMs: number;
  /** A client that reads nothing for this long loses the stream; 0 = never. */
  readonly streamIdleTimeoutMs: number;
  /** A stream ends (DEADLINE_EXCEEDED) after this long; 0 = no limit. */
  readonly maxStreamDurationMs: number;
}

/**
 * The handler of a route to a streaming method over plain HTTP.
 *
 * - Server streaming: the request is decoded as for a unary call; responses are
 *   written as they come (see `selectStreamFormat`: NDJSON `{"result": …}`
 *   lines, Server-Sent Events, or raw google.api.HttpBody bytes), with
 *   backpressure and cancellation (see `writeResponseStream`).
 * - Client streaming and bidi: the request body is a sequence of JSON messages
 *   (newline-delimited or concatenated), each decoded like a unary body (path
 *   variables and query apply to every message) and passed to the call as soon
 *   as it is complete; `maxRequestBytes` limits each message (after decoding a
 *   gzip, deflate or br body). Client streaming
 *   answers one JSON message; bidi answers like server streaming.
 *
 * The call's deadline holds as for unary calls: when it passes, the gateway
 * answers 504 (or, once messages went out, ends the stream with a
 * DEADLINE_EXCEEDED error frame) without waiting for the backend.
 * @internal
 */
export function streamingHandler(
  method: DescMethod,
  route: RouteSpec,
  call: StreamCall,
  options: StreamingOptions,
): RouteHandler {
  const { limits, setup, outgoing, errors } = options;
  const kind = method.methodKind;
  const clientStreams = kind === "client_streaming" || kind === "bidi_streaming";
  // A client stream always reads its messages from the body: `*` when the rule names none.
  const builder = new RequestMessageBuilder(
    method.input,
    clientStreams && (route.body ?? "") === "" ? { ...route, body: "*" } : route,
    options.decode,
  );
  const writer = new ResponseJsonWriter(method.output, route.responseBody, options.json);
  const stream = {
    errors,
    outgoing,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    streamIdleTimeoutMs: options.streamIdleTimeoutMs,
  };
  const serve = async (
    req: IncomingMessage,
    res: Parameters<RouteHandler>[1],
    params: Array<[string, string]>,
    query: string,
    pipeline: PipelineCall | undefined,
  ): Promise<void> => {
    if (builder.hasBody) {
      const encoding = unsupportedContentEncoding(req, true);
      if (encoding !== undefined) throw encoding;
      const contentType = req.headers["content-type"];
      if (!isStreamContentType(contentType)) {
        throw new HttpStatusError(
          `unsupported Content-Type "${contentType}": send application/json`,
          Code.InvalidArgument,
          415,
        );
      }
    }
    const context = gatewayContext(req, res, setup, pipeline);
    if (context instanceof RpcError) throw context;
    limitStreamDuration(context, res, options.maxStreamDurationMs);
    const format = () => selectStreamFormat(req, method.output, route.responseBody, writer, errors);
    if (!clientStreams) {
      const body = builder.hasBody ? await readBody(req, limits.maxRequestBytes) : undefined;
      const request = builder.build(body, params, query);
      if (request instanceof RpcError) throw request;
      if (pipeline !== undefined) {
        pipeline.outcome.bytesIn = body?.length ?? 0;
        pipeline.outcome.messagesIn = 1;
      }
      await writeResponseStream(req, res, () => call(request, context), {
        output: method.output,
        format: format(),
        context,
        ...stream,
        onEnd: (listener) => context.onEnd(listener),
        pipeline,
      });
      return;
    }
    const requests = requestStream(
      readJsonMessages(req, limits.maxRequestBytes),
      builder,
      params,
      query,
      context,
      pipeline,
    );
    if (kind === "bidi_streaming") {
      await writeResponseStream(req, res, () => call(requests.messages, requests.context), {
        output: method.output,
        format: format(),
        context: requests.context,
        ...stream,
        errorOf: requests.errorOf,
        onEnd: (listener) => context.onEnd(listener),
        pipeline,
      });
      return;
    }
    let response: MessageShape<DescMessage>;
    try {
      response = toMessage(
        method.output,
        await context.race(call(requests.messages, requests.context)),
      );
    } catch (err) {
      writeError(requests.errorOf(err), req, res, errors, requests.context, pipeline);
      return;
    }
    if (res.destroyed) return;
    const status = writeResponseMetadata(res, requests.context, outgoing, acceptsTrailers(req));
    const json = writer.write(response);
    if (pipeline !== undefined) {
      pipeline.succeed();
      pipeline.outcome.messagesOut = 1;
      pipeline.outcome.bytesOut = Buffer.byteLength(json);
    }
    writeJson(res, status, json);
  };
  return (req, res, params, query, pipeline) => {
    serve(req, res, params, query, pipeline).catch((err: unknown) => {
      writeError(RpcError.from(err), req, res, errors, undefined, pipeline);
    });
  };
}

/** The request side of a client stream: decoded messages, and the context that fails with them. @internal */
export interface RequestStream {
  /** The decoded request messages, as they arrive. */
  readonly messages: AsyncIterable<MessageShape<DescMessage>>;
  /** The call context, whose signal also aborts when a request message is bad. */
  readonly context: CallContext;
  /** The error to report for a call's failure: a bad request message wins over the CANCELLED it caused. */
  readonly errorOf: (err: unknown) => RpcError;
}

/**
 * Decodes a stream of JSON request messages with a route's builder. A bad
 * message ends the stream with its error and aborts the call (a remote call
 * is cancelled); {@link RequestStream.errorOf} then reports that error.
 * @internal
 */
export function requestStream(
  raw: AsyncIterable<Buffer | string>,
  builder: RequestMessageBuilder,
  params: ReadonlyArray<[string, string]>,
  query: string,
  context: CallContext,
  pipeline?: PipelineCall,
): RequestStream {
  // Aborts with the call's own signal, or on a bad request message. (Not AbortSignal.any:
  // a listener on the source keeps this controller reachable for as long as the call.)
  const failure = new AbortController();
  const forward = () => failure.abort(context.signal.reason);
  if (context.signal.aborted) forward();
  else context.signal.addEventListener("abort", forward, { once: true });
  let requestError: RpcError | undefined;
  async function* messages(): AsyncGenerator<MessageShape<DescMessage>> {
    try {
      for await (const chunk of raw) {
        const body = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        const message = builder.build(body, params, query);
        if (message instanceof RpcError) throw message;
        if (pipeline !== undefined) {
          pipeline.outcome.bytesIn += body.length;
          pipeline.outcome.messagesIn++;
        }
        yield message;
      }
    } catch (err) {
      requestError = RpcError.from(err);
      failure.abort(requestError);
      throw requestError;
    }
  }
  return {
    messages: messages(),
    context: { ...context, signal: failure.signal },
    errorOf: (err) => requestError ?? RpcError.from(err),
  };
}

/** JSON, or a JSON-lines type, or none. */
function isStreamContentType(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === "") return true;
  const semi = contentType.indexOf(";");
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return (
    type === "application/json" ||
    type.endsWith("+json") ||
    type === "application/x-ndjson" ||
    type === "application/jsonl"
  );
}

/**
 * Ends a streaming call after `ms` (the `maxStreamDurationMs` option) as if
 * its deadline had passed; the timer goes when `lifecycle` closes. @internal
 */
export function limitStreamDuration(
  context: GatewayCallContext,
  lifecycle: { once(event: "close", listener: () => void): unknown },
  ms: number,
): void {
  if (ms <= 0) return;
  const timer = setTimeout(
    () =>
      // cancel, not expire: the call has no deadline of its own that would stop a remote backend.
      context.cancel(
        new RpcError(`stream exceeded its maximum duration of ${ms}ms`, Code.DeadlineExceeded),
      ),
    ms,
  );
  timer.unref();
  lifecycle.once("close", () => clearTimeout(timer));
}
