import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { DescMethod } from "@bufbuild/protobuf";
import {
  type MuxOptions,
  type ResolvedMuxOptions,
  resolveMuxOptions,
  type JsonOptions,
} from "./mux-options.js";
import { compilePathTemplate } from "../core/path-template.js";
import { writeError } from "./response-writer.js";
import { HttpStatusError } from "../core/http-status-error.js";
import type { RouteSpec, ServiceRoutes } from "../core/route-spec.js";
import { RouteTable } from "../core/route-table.js";
import { Code, RpcError } from "../core/rpc-error.js";
import { type RouteHandler, unaryHandler } from "./unary-handler.js";
import { streamingHandler } from "./streaming-handler.js";
import type { WebSocketServer } from "ws";
import { createWebSocketServer, type UpgradeHandler, webSocketHandler } from "./websocket.js";

/** Called when a request matches no route; Express's and Connect's `next`. */
export type NextFunction = (err?: unknown) => void;

/** A hand-written route's handler: path variables by field path, decoded. */
export type PathHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Readonly<Record<string, string>>,
) => void | Promise<void>;

/** Per-service options of {@link Mux.register}: JSON options overriding the mux's. */
export interface RegisterOptions extends JsonOptions {
  /** Answer 400 for query parameters that name no field. Defaults to the mux's option. */
  rejectUnknownQueryParameters?: boolean;
}

/**
 * The gateway's router: HttpRule path templates in one route table, matched
 * per request (literal beats `*` beats `**`, whatever the registration order),
 * then transcoded to the service method. Framework-agnostic: use
 * {@link Mux.handler} with `node:http`, or `expressRouter(mux)` with Express.
 */
export class Mux {
  readonly options: ResolvedMuxOptions;
  readonly #table: RouteTable<RouteHandler>;
  /** Streaming routes served over WebSocket, when the `webSocket` option is on. */
  readonly #upgradeTable: RouteTable<UpgradeHandler> | undefined;
  readonly #webSocketServer: WebSocketServer | undefined;

  constructor(options?: MuxOptions) {
    this.options = resolveMuxOptions(options);
    this.#table = new RouteTable({ unescape: this.options.unescape });
    if (this.options.webSocket) {
      this.#upgradeTable = new RouteTable({ unescape: this.options.unescape });
      this.#webSocketServer = createWebSocketServer(this.options);
    }
  }

  /**
   * Serves a service's generated routes by calling `backend`: a generated
   * client (a gateway in front of a remote server) or a local implementation.
   */
  register(routes: ServiceRoutes, backend: object, options?: RegisterOptions): this {
    const resolved =
      options === undefined
        ? this.options
        : resolveMuxOptions({ ...this.options.input, ...options });
    for (const route of routes.routes) {
      const method = routes.service.method[route.rpc] as DescMethod | undefined;
      if (method === undefined) {
        throw new Error(
          `route ${route.method} ${route.path}: ${routes.service.typeName} has no method "${route.rpc}"`,
        );
      }
      const fn = (backend as Record<string, unknown>)[method.localName];
      const call =
        typeof fn === "function"
          ? (fn.bind(backend) as (request: unknown, context: unknown) => unknown)
          : () => {
              throw new RpcError(`method ${method.name} is not implemented`, Code.Unimplemented);
            };
      const handler =
        method.methodKind === "unary"
          ? unaryHandler(method, route, call, resolved)
          : streamingHandler(method, route, call, resolved);
      this.#table.add(route.method, route.pattern, handler, routeName(method, route));
      if (
        method.methodKind !== "unary" &&
        this.#upgradeTable !== undefined &&
        this.#webSocketServer !== undefined
      ) {
        this.#upgradeTable.add(
          route.method,
          route.pattern,
          webSocketHandler(method, route, call, resolved, this.#webSocketServer),
          routeName(method, route),
        );
      }
    }
    return this;
  }

  /** Adds a hand-written route with an HttpRule path template, e.g. `mux.handlePath("GET", "/healthz", fn)`. */
  handlePath(method: string, template: string, handler: PathHandler): this {
    const pattern = compilePathTemplate(template);
    const options = this.options;
    this.#table.add(
      method.toUpperCase(),
      pattern,
      (req, res, params) => {
        const named: Record<string, string> = Object.create(null);
        for (const [key, value] of params) named[key] = value;
        Promise.resolve()
          .then(() => handler(req, res, named))
          .catch((err: unknown) =>
            writeError(RpcError.from(err, Code.Internal), req, res, options),
          );
      },
      `${method.toUpperCase()} ${template}`,
    );
    return this;
  }

  /**
   * Serves a request. With `next`, unmatched requests go to it (unless the
   * mux was built with `notFound: "404"`); without, they get a 404.
   */
  handle(req: IncomingMessage, res: ServerResponse, next?: NextFunction): void {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? "" : url.slice(q + 1);
    const m = this.#table.match(req.method ?? "GET", path);
    switch (m.kind) {
      case "match":
        m.value(req, res, m.params, query);
        return;
      case "method-not-allowed":
        res.setHeader("Allow", m.allow.join(", "));
        writeError(
          new HttpStatusError(
            `method ${req.method} is not allowed for ${path}; allowed: ${m.allow.join(", ")}`,
            Code.Unimplemented,
            405,
          ),
          req,
          res,
          this.options,
        );
        return;
      case "bad-path":
        writeError(new RpcError(m.message, Code.InvalidArgument), req, res, this.options);
        return;
      case "not-found":
        if (next !== undefined && this.options.notFound === "next") {
          next();
          return;
        }
        writeError(
          new RpcError(`no route for ${req.method} ${path}`, Code.NotFound),
          req,
          res,
          this.options,
        );
    }
  }

  /**
   * Serves an HTTP upgrade request (an http.Server's `'upgrade'` event) on the
   * route of a streaming method, whatever the route's HTTP method, as a
   * WebSocket (see the `webSocket` option). Returns false, leaving the socket
   * alone, when WebSocket is off or no streaming route matches.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (this.#upgradeTable === undefined) return false;
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    let m = this.#upgradeTable.match("GET", path);
    if (m.kind === "method-not-allowed" && m.allow[0] !== undefined) {
      m = this.#upgradeTable.match(m.allow[0], path);
    }
    if (m.kind !== "match") return false;
    m.value(req, socket, head, m.params, q === -1 ? "" : url.slice(q + 1));
    return true;
  }

  /** `handle` bound to this mux, for `http.createServer(mux.handler)`. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
}

function routeName(method: DescMethod, route: RouteSpec): string {
  return `${method.parent.name}.${method.name} (${route.method} ${route.path})`;
}
