import type { DescMethod } from "@bufbuild/protobuf";
import type { ResolvedMuxOptions } from "./mux-options.js";
import { withHttpStatus, writeError } from "./response-writer.js";
import type { RouteSpec } from "./route-spec.js";
import { Code, RpcError } from "./rpc-error.js";
import type { RouteHandler } from "./unary-handler.js";

/**
 * The handler of a route to a streaming method.
 * @internal
 */
export function streamingHandler(
  method: DescMethod,
  _route: RouteSpec,
  _call: (request: unknown, context: unknown) => unknown,
  options: ResolvedMuxOptions,
): RouteHandler {
  return (req, res) => {
    writeError(
      withHttpStatus(
        new RpcError(
          `${method.methodKind} method ${method.name} is not served over HTTP yet`,
          Code.Unimplemented,
        ),
        501,
      ),
      req,
      res,
      options,
    );
  };
}
