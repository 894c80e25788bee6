import type { DescService } from "@bufbuild/protobuf";
import { type CompiledPattern, compilePathTemplate } from "./path-template.js";

/** One HTTP route of a service method, as protoc-gen-ts-gateway generates it from a google.api.http rule. */
export interface RouteSpec {
  /** The method's local name in the service descriptor (`getBook`). */
  readonly rpc: string;
  /** HTTP method, upper case. */
  readonly method: string;
  /** The path template as written in the proto, for messages and docs. */
  readonly path: string;
  /** `"*"` (the whole request), a request field path, or absent (no body). */
  readonly body?: string;
  /** A response field path to write instead of the whole response. */
  readonly responseBody?: string;
  /**
   * What a path variable bound to a repeated field is split on (the plugin's
   * `repeated_path_param_separator`: `|`, space or tab); absent: `,`.
   */
  readonly pathParamSeparator?: string;
  /** The path template, compiled at generation time. */
  readonly pattern: CompiledPattern;
}

/** A service descriptor and its HTTP routes: what a generated `<service>Routes` constant holds. */
export interface ServiceRoutes<S extends DescService = DescService> {
  readonly service: S;
  readonly routes: readonly RouteSpec[];
}

/** The `body` and `response_body` of a route's rule, when it has them, and its repeated path variables' separator. */
export interface RouteBodies {
  readonly body?: string;
  readonly responseBody?: string;
  readonly pathParamSeparator?: string;
}

/**
 * One line of a generated route table:
 * `route("getShelf", "GET", "/v1/{name=shelves/*}")`, or with
 * `{ body: "shelf" }`. The template is compiled here, once, when the
 * generated module loads (the plugin already rejected invalid ones).
 */
export function route(rpc: string, method: string, path: string, bodies?: RouteBodies): RouteSpec {
  const pattern = compilePathTemplate(path);
  return bodies === undefined
    ? { rpc, method, path, pattern }
    : { rpc, method, path, ...bodies, pattern };
}
