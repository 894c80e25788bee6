import type { IncomingMessage, ServerResponse } from "node:http";
import { create, type DescMethod, isMessage } from "@bufbuild/protobuf";
import { gatewayContext } from "./gateway-context.js";
import { HttpBodyResponse } from "../core/http-body.js";
import type { ResolvedMuxOptions } from "./mux-options.js";
import { readBody } from "./request-body.js";
import { RequestMessageBuilder } from "../core/request-message.js";
import { ResponseJsonWriter } from "../core/response-message.js";
import { writeError, writeJson, writeRaw } from "./response-writer.js";
import { HttpStatusError } from "../core/http-status-error.js";
import type { RouteSpec } from "../core/route-spec.js";
import { Code, RpcError } from "../core/rpc-error.js";
import { acceptsTrailers, writeResponseMetadata } from "./response-metadata.js";

/** Serves one matched request. @internal */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Array<[string, string]>,
  query: string,
) => void;

type UnaryCall = (request: unknown, context: unknown) => unknown;

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
  options: ResolvedMuxOptions,
): RouteHandler {
  const builder = new RequestMessageBuilder(method.input, route, options);
  const writer = new ResponseJsonWriter(method.output, route.responseBody, options);
  const rawWriter = HttpBodyResponse.forRoute(method.output, route.responseBody);
  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    params: Array<[string, string]>,
    query: string,
  ): Promise<void> => {
    let body: Buffer | undefined;
    const contentType = req.headers["content-type"];
    if (builder.hasBody) {
      if (!builder.rawBody && !options.acceptsContentType(contentType)) {
        throw new HttpStatusError(
          `unsupported Content-Type "${contentType}": send application/json`,
          Code.InvalidArgument,
          415,
        );
      }
      body = await readBody(req, options.maxRequestBytes);
    }
    const request = builder.build(body, params, query, contentType);
    if (request instanceof RpcError) throw request;
    const context = gatewayContext(req, res, options);
    if (context instanceof RpcError) throw context;
    let result: unknown;
    try {
      result = await context.race(call(request, context));
    } catch (err) {
      writeError(RpcError.from(err), req, res, options, context);
      return;
    }
    if (res.destroyed) return;
    const response = isMessage(result, method.output)
      ? result
      : create(method.output, result as never);
    const status = writeResponseMetadata(res, context, options, acceptsTrailers(req));
    if (rawWriter !== undefined) writeRaw(res, status, rawWriter.content(response));
    else writeJson(res, status, writer.write(response));
  };
  return (req, res, params, query) => {
    serve(req, res, params, query).catch((err: unknown) => {
      writeError(RpcError.from(err), req, res, options);
    });
  };
}
