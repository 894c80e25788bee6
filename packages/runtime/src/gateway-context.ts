import type { IncomingMessage, ServerResponse } from "node:http";
import { Metadata } from "@grpc/grpc-js";
import type { CallContext } from "./call-context.js";
import { parseGrpcTimeout } from "./grpc-timeout.js";
import { metadataFromHeaders } from "./header-matcher.js";
import type { ResolvedMuxOptions } from "./mux-options.js";
import { withHttpStatus } from "./response-writer.js";
import { Code, RpcError } from "./rpc-error.js";

/**
 * The call context of one HTTP request: metadata from its headers, the deadline
 * from `Grpc-Timeout`, and a signal aborted when the client goes away (so the
 * gRPC call is cancelled) or the deadline passes.
 * @internal
 */
export function gatewayContext(
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedMuxOptions,
): CallContext | RpcError {
  const md = metadataFromHeaders(req.headers, {
    headerMatcher: options.headers.headerMatcher,
    peerAddress: req.socket.remoteAddress,
  });
  if (!md.ok) return withHttpStatus(new RpcError(md.message, Code.InvalidArgument), 400);
  let deadline: Date | undefined;
  const timeout = req.headers["grpc-timeout"];
  if (typeof timeout === "string") {
    const parsed = parseGrpcTimeout(timeout);
    if (!parsed.ok) return withHttpStatus(new RpcError(parsed.message, Code.InvalidArgument), 400);
    deadline = new Date(Date.now() + parsed.ms);
  }
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished)
      controller.abort(new RpcError("HTTP client went away", Code.Cancelled));
  };
  res.once("close", onClose);
  return {
    metadata: md.metadata,
    deadline,
    signal: controller.signal,
    responseMetadata: new Metadata(),
    responseTrailers: new Metadata(),
  };
}
