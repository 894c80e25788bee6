import type { IncomingMessage, ServerResponse } from "node:http";
import {
  create,
  type DescMessage,
  type DescMethod,
  isMessage,
  type MessageShape,
} from "@bufbuild/protobuf";
import { HttpBodyResponse, type RawBody } from "../core/http-body.js";
import { HttpStatusError } from "../core/http-status-error.js";
import { type RequestDecodeOptions, RequestMessageBuilder } from "../core/request-message.js";
import {
  checkResponseSize,
  type ResponseEncodeOptions,
  ResponseJsonWriter,
} from "../core/response-message.js";
import type { RouteSpec } from "../core/route-spec.js";
import { Code, RpcError } from "../core/rpc-error.js";
import {
  acceptsTrailers,
  type OutgoingHeaderRules,
  writeResponseMetadata,
} from "../headers/response-metadata.js";
import { type CallSetup, gatewayContext } from "../pipeline/gateway-context.js";
import type { PipelineCall } from "../pipeline/pipeline.js";
import type { MessageChecks } from "../pipeline/request-checks.js";
import { formOf, readFormMessage } from "../wire/form-request.js";
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
  checks: MessageChecks,
): RouteHandler {
  const { request: checkRequest, response: checkResponse } = checks;
  const { limits, setup, outgoing, errors } = options;
  const maxResponseBytes = options.json.maxResponseBytes;
  const builder = new RequestMessageBuilder(method.input, route, options.decode);
  const writer = new ResponseJsonWriter(method.output, route.responseBody, options.json, method);
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
    const form = formOf(req, builder);
    let request: MessageShape<DescMessage> | RpcError;
    if (form !== undefined) {
      request = await readFormMessage(
        req,
        { kind: form, builder, params, query, pipeline },
        limits.maxRequestBytes,
        limits.multipart,
      );
    } else if (builder.hasBody) {
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
      request = builder.build(body, params, query, contentType);
    } else {
      request = builder.build(undefined, params, query, contentType);
    }
    if (request instanceof RpcError) throw request;
    if (checkRequest !== undefined) {
      const checking = checkRequest(request, pipeline);
      if (checking !== undefined) await checking;
    }
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
    if (checkResponse !== undefined) {
      let broken = checkResponse(response);
      if (broken instanceof Promise) broken = await broken;
      if (broken !== undefined) {
        writeError(broken, req, res, errors, context, pipeline);
        return;
      }
    }
    // Written before the status goes out: a response that cannot be (the size cap, a
    // failing rewriter) is answered as an error with the call's metadata.
    let content: RawBody | undefined;
    let json = "";
    try {
      if (rawWriter !== undefined) {
        content = rawWriter.content(response);
        checkResponseSize(content.data.byteLength, maxResponseBytes);
      } else {
        json = writer.write(response);
      }
    } catch (err) {
      writeError(RpcError.from(err), req, res, errors, context, pipeline);
      return;
    }
    const status = writeResponseMetadata(res, context, outgoing, acceptsTrailers(req));
    if (pipeline !== undefined) pipeline.succeed();
    if (content !== undefined) {
      if (pipeline !== undefined) pipeline.outcome.bytesOut = content.data.byteLength;
      writeRaw(res, status, content);
    } else {
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
