import type * as grpc from "@grpc/grpc-js";
import type { Mux, RegisterOptions, ServiceRoutes } from "@ts-gateway/runtime";
import type { RouteInfo } from "protoc-gen-ts-gateway/http-rules";
import type { CallDeadlines } from "./call-deadlines.js";

/**
 * A gRPC service the gateway serves: its HTTP routes, and how to put them on a
 * mux calling a backend over a (balanced) channel. Generated modules and
 * descriptor sets both come down to this.
 */
export interface GatewayService {
  /** The service descriptor and its routes (for the route table, retries and registration). */
  readonly routes: ServiceRoutes;
  /** Where it came from (`api.binpb`, `./gen/x_gateway.js`), for the route table. */
  readonly source: string;
  /**
   * The plugin's view of the routes (descriptor sets only), from which the
   * OpenAPI document is generated; a generated module brings its own document.
   */
  readonly routeInfos?: readonly RouteInfo[];
  /** Registers the routes on `mux`, calling the backend through `channel` within `deadlines`. */
  register(
    mux: Mux,
    channel: grpc.Channel,
    options?: RegisterOptions,
    deadlines?: CallDeadlines,
  ): void;
}
