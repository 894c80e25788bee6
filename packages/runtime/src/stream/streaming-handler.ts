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
import type { MessageChecks, RequestCheck } from "../pipeline/request-checks.js";
import type { RouteHandler, UnaryOptions } from "../unary/unary-handler.js";
import { formOf, readFormMessage, uploadMessages } from "../wire/form-request.js";
import type { FormKind } from "../wire/multipart-parts.js";
import { type BodyLimits, readBody, unsupportedContentEncoding } from "../wire/request-body.js";
import { writeError, writeJson } from "../wire/response-writer.js";
import { readJsonMessages } from "./json-stream-reader.js";
import type { OpenStreams } from "./open-streams.js";
import { toMessage, writeResponseStream } from "./response-stream.js";
import { type StreamFraming, selectStreamFormat } from "./stream-format.js";

type StreamCall = (request: unknown, context: unknown) => unknown;

/** The option values a streaming route's handler uses: a unary route's and the keepalive interval. @internal */
export interface StreamingOptions extends UnaryOptions {
  readonly heartbeatIntervalMs: number;
  /** A client that reads nothing for this long loses the stream; 0 = never. */
  readonly streamIdleTimeoutMs: number;
  /** A stream ends (DEADLINE_EXCEEDED) after this long; 0 = no limit. */
  readonly maxStreamDurationMs: number;
  /** How non-SSE JSON streams are framed. */
  readonly streamFraming: StreamFraming;
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
  checks: MessageChecks,
  openStreams?: OpenStreams,
): RouteHandler {
  const checkRequest = checks.request;
  const { limits, setup, outgoing, errors } = options;
  const kind = method.methodKind;
  const clientStreams = kind === "client_streaming" || kind === "bidi_streaming";
  // A client stream always reads its messages from the body: `*` when the rule names none.
  const builder = new RequestMessageBuilder(
    method.input,
    clientStreams && (route.body ?? "") === "" ? { ...route, body: "*" } : route,
    options.decode,
  );
  const writer = new ResponseJsonWriter(method.output, route.responseBody, options.json, method);
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
    const form = formOf(req, builder);
    if (builder.hasBody && form === undefined) {
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
    openStreams?.track(context, res);
    const format = () =>
      selectStreamFormat(
        req,
        method.output,
        route.responseBody,
        writer,
        errors,
        options.streamFraming,
      );
    if (!clientStreams) {
      let request: MessageShape<DescMessage> | RpcError;
      if (form !== undefined) {
        const formRequest = { kind: form, builder, params, query, pipeline };
        request = await readFormMessage(req, formRequest, limits.maxRequestBytes, limits.multipart);
      } else {
        const body = builder.hasBody ? await readBody(req, limits.maxRequestBytes) : undefined;
        request = builder.build(body, params, query);
        if (pipeline !== undefined) pipeline.outcome.bytesIn = body?.length ?? 0;
      }
      if (request instanceof RpcError) throw request;
      if (checkRequest !== undefined) await checkRequest(request, pipeline);
      if (pipeline !== undefined) pipeline.outcome.messagesIn = 1;
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
    const requests =
      form === undefined
        ? requestStream(
            readJsonMessages(req, limits.maxRequestBytes),
            builder,
            params,
            query,
            context,
            pipeline,
            checkRequest,
          )
        : guardedStream(
            formMessages(req, form, builder, params, query, limits, pipeline),
            context,
            checkRequest,
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
    let json: string;
    try {
      json = writer.write(response);
    } catch (err) {
      writeError(RpcError.from(err), req, res, errors, requests.context, pipeline);
      return;
    }
    const status = writeResponseMetadata(res, requests.context, outgoing, acceptsTrailers(req));
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
 * message (one that fails `check`, too) ends the stream with its error and
 * aborts the call (a remote call is cancelled); {@link RequestStream.errorOf} then reports that error.
 * @internal
 */
export function requestStream(
  raw: AsyncIterable<Buffer | string>,
  builder: RequestMessageBuilder,
  params: ReadonlyArray<[string, string]>,
  query: string,
  context: CallContext,
  pipeline?: PipelineCall,
  check?: RequestCheck,
): RequestStream {
  async function* decoded(): AsyncGenerator<MessageShape<DescMessage>> {
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
  }
  return guardedStream(decoded(), context, check, pipeline);
}

/**
 * A client stream's request messages from `source`, each passed through
 * `check` (validation, interceptors): an error of the source or of `check`
 * (a bad message, a body over its bounds) ends the stream with that error and
 * aborts the call (a remote call is cancelled); {@link RequestStream.errorOf}
 * then reports it. @internal
 */
export function guardedStream(
  source: AsyncIterable<MessageShape<DescMessage>>,
  context: CallContext,
  check?: RequestCheck,
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
      for await (const message of source) {
        if (check !== undefined) await check(message, pipeline);
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

/** A client stream's messages from a form body: a multipart upload, or one URL-encoded message. */
function formMessages(
  req: IncomingMessage,
  kind: FormKind,
  builder: RequestMessageBuilder,
  params: ReadonlyArray<[string, string]>,
  query: string,
  limits: BodyLimits,
  pipeline: PipelineCall | undefined,
): AsyncGenerator<MessageShape<DescMessage>> {
  const form = { kind, builder, params, query, pipeline };
  if (kind === "multipart") return uploadMessages(req, form, limits.multipart);
  return (async function* one() {
    yield await readFormMessage(req, form, limits.maxRequestBytes, limits.multipart);
  })();
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
