import type { IncomingMessage, ServerResponse } from "node:http";
import { create, type DescMethod, isMessage } from "@bufbuild/protobuf";
import { HttpBodyResponse } from "../core/http-body.js";
import { HttpStatusError } from "../core/http-status-error.js";
import { type RequestDecodeOptions, RequestMessageBuilder } from "../core/request-message.js";
import { type ResponseEncodeOptions, ResponseJsonWriter } from "../core/response-message.js";
import type { RouteSpec } from "../core/route-spec.js";
import { Code, RpcError } from "../core/rpc-error.js";
import {
  acceptsTrailers,
  type OutgoingHeaderRules,
  writeResponseMetadata,
} from "../headers/response-metadata.js";
import { type CallSetup, gatewayContext } from "../pipeline/gateway-context.js";
import type { PipelineCall } from "../pipeline/pipeline.js";
import { type BodyLimits, readBody, unsupportedContentEncoding } from "../wire/request-body.js";
import { type ErrorWriting, writeError, writeJson, writeRaw } from "../wire/response-writer.js";

/** Serves one matched request; `call` is the pipeline's record, when middlewares are installed. @internal */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Array<[string, string]>,
  query: string,
  call: PipelineCall | undefined,
) => void;

type UnaryCall = (request: unknown, context: unknown) => unknown;

/** The option values a route's handler uses, one per concern. @internal */
export interface UnaryOptions {
  readonly decode: RequestDecodeOptions;
  readonly json: ResponseEncodeOptions;
  readonly limits: BodyLimits;
  readonly setup: CallSetup;
  readonly outgoing: OutgoingHeaderRules;
  readonly errors: ErrorWriting;
}

/**
 * The handler of a route to a unary method: decode the request (body, path,
 * query), call the backend (a generated client or a local implementation)
 * with a context carrying metadata, deadline and cancellation, and write the
 * response as JSON, or the error as `google.rpc.Status` JSON.
 * @internal
 */
export function unaryHandler(
  method: DescMethod,
  route: RouteSpec,
  call: UnaryCall,
  options: UnaryOptions,
): RouteHandler {
  const { limits, setup, outgoing, errors } = options;
  const builder = new RequestMessageBuilder(method.input, route, options.decode);
  const writer = new ResponseJsonWriter(method.output, route.responseBody, options.json);
  const rawWriter = HttpBodyResponse.forRoute(method.output, route.responseBody);
  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    params: Array<[string, string]>,
    query: string,
    pipeline: PipelineCall | undefined,
  ): Promise<void> => {
    let body: Buffer | undefined;
    const contentType = req.headers["content-type"];
    if (builder.hasBody) {
      const encoding = unsupportedContentEncoding(req, true);
      if (encoding !== undefined) throw encoding;
      if (!builder.rawBody && !limits.acceptsContentType(contentType)) {
        throw new HttpStatusError(
          `unsupported Content-Type "${contentType}": send application/json`,
          Code.InvalidArgument,
          415,
        );
      }
      body = await readBody(req, limits.maxRequestBytes);
      if (pipeline !== undefined) pipeline.outcome.bytesIn = body.length;
    }
    const request = builder.build(body, params, query, contentType);
    if (request instanceof RpcError) throw request;
    const context = gatewayContext(req, res, setup, pipeline);
    if (context instanceof RpcError) throw context;
    if (pipeline !== undefined) pipeline.outcome.messagesIn = 1;
    let result: unknown;
    try {
      result = await context.race(call(request, context));
    } catch (err) {
      writeError(RpcError.from(err), req, res, errors, context, pipeline);
      return;
    }
    if (res.destroyed) return;
    const response = isMessage(result, method.output)
      ? result
      : create(method.output, result as never);
    const status = writeResponseMetadata(res, context, outgoing, acceptsTrailers(req));
    if (pipeline !== undefined) pipeline.succeed();
    if (rawWriter !== undefined) {
      const content = rawWriter.content(response);
      if (pipeline !== undefined) pipeline.outcome.bytesOut = content.data.byteLength;
      writeRaw(res, status, content);
    } else {
      const json = writer.write(response);
      if (pipeline !== undefined) {
        pipeline.outcome.messagesOut = 1;
        pipeline.outcome.bytesOut = Buffer.byteLength(json);
      }
      writeJson(res, status, json);
    }
  };
  return (req, res, params, query, pipeline) => {
    serve(req, res, params, query, pipeline).catch((err: unknown) => {
      writeError(RpcError.from(err), req, res, errors, undefined, pipeline);
    });
  };
}
