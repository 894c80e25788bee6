import { IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { DescMethod, Message } from "@bufbuild/protobuf";
import { Metadata } from "@grpc/grpc-js";
import type { WebSocketServer } from "ws";
import { HttpStatusError } from "../core/http-status-error.js";
import { compilePathTemplate } from "../core/path-template.js";
import type { SelectedRoute } from "../core/route-selector.js";
import type { RouteSpec, ServiceRoutes } from "../core/route-spec.js";
import type { MatchResult } from "../core/route-table.js";
import { Code, RpcError } from "../core/rpc-error.js";
import { type Protocol, rpcProtocolOf } from "../core/rpc-protocols.js";
import { type Site, SiteRoutes } from "../core/site-routes.js";
import { metadataFromHeaders } from "../headers/header-matcher.js";
import { duplicateHost } from "../headers/host-header.js";
import {
  type GatewayCall,
  httpTransport,
  type Middleware,
  PipelineCall,
  type RouteInfo,
  runPipeline,
} from "../pipeline/pipeline.js";
import { type MessageChecks, messageChecks } from "../pipeline/request-checks.js";
import { RpcRouter } from "../rpc/rpc-router.js";
import type { RpcCallState, RpcMethodHandler, RpcOptions } from "../rpc/rpc-service.js";
import { OpenStreams } from "../stream/open-streams.js";
import { streamingHandler } from "../stream/streaming-handler.js";
import { type RouteHandler, unaryHandler } from "../unary/unary-handler.js";
import { MessageValidator } from "../validation/message-validator.js";
import { createWebSocketServer, guardSocket, rejectUpgrade } from "../websocket/upgrade.js";
import { type UpgradeHandler, webSocketHandler } from "../websocket/websocket.js";
import { writeError } from "../wire/response-writer.js";
import {
  type JsonOptions,
  type MuxOptions,
  type ResolvedMuxOptions,
  type RouteMuxOptions,
  resolveMuxOptions,
} from "./mux-options.js";

/** Called when a request matches no route; Express's and Connect's `next`. */
export type NextFunction = (err?: unknown) => void;

/** A hand-written route's handler: path variables by field path, decoded. */
export type PathHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Readonly<Record<string, string>>,
) => void | Promise<void>;

/**
 * Per-service options of {@link Mux.register}: where the routes are served,
 * and the mux's message options to override for them (each defaults to the
 * mux's).
 */
export interface RegisterOptions extends JsonOptions, Site, RouteMuxOptions {}

/**
 * The gateway's router: HttpRule path templates in one route table, matched
 * per request (literal beats `*` beats `**`, whatever the registration order),
 * then transcoded to the service method. Framework-agnostic: use
 * {@link Mux.handler} with `node:http`, or `expressRouter(mux)` with Express.
 */
export class Mux {
  readonly options: ResolvedMuxOptions;
  readonly #table: SiteRoutes<MuxRoute<RouteHandler>>;
  /** Streaming routes served over WebSocket, when the `webSocket` option is on. */
  readonly #upgradeTable: SiteRoutes<MuxRoute<UpgradeHandler>> | undefined;
  readonly #webSocketServer: WebSocketServer | undefined;
  /** The request pipeline, in registration order; empty costs nothing per request. */
  readonly #middlewares: Middleware[] = [];
  /** protovalidate, when the `validate` option is on. */
  readonly #validator: MessageValidator | undefined;
  /** {@link Mux.checkRequest}'s checks, per method. */
  readonly #methodChecks = new Map<DescMethod, MessageChecks>();
  /** The methods served over Connect, gRPC-Web and gRPC, when `protocols` name one. */
  readonly #rpc: RpcRouter | undefined;
  /** Streaming calls open over plain HTTP, for {@link Mux.endStreams}. */
  readonly #openStreams = new OpenStreams();

  constructor(options?: MuxOptions) {
    this.options = resolveMuxOptions(options);
    this.#table = new SiteRoutes({ unescape: this.options.unescape });
    if (this.options.protocols.size > (this.options.protocols.has("rest") ? 1 : 0)) {
      this.#rpc = new RpcRouter({
        ...rpcOptions(this.options),
        checkRequest: (method, message) => this.checkRequest(method, message),
      });
    }
    if (this.options.webSocket) {
      this.#upgradeTable = new SiteRoutes({ unescape: this.options.unescape });
      this.#webSocketServer = createWebSocketServer(
        this.options.limits.maxRequestBytes,
        this.options.errors.registry,
      );
    }
    const validation = this.options.validation;
    if (validation !== undefined) {
      this.#validator = new MessageValidator(options?.registry, validation.failFast ?? false);
    }
  }

  /** The checks of a route's messages: validation (where on), then the request interceptors. */
  #checks(method: DescMethod, route: SelectedRoute, options: ResolvedMuxOptions): MessageChecks {
    return messageChecks(
      method,
      route,
      this.#validator,
      options.validation,
      options.requestInterceptors,
      options.json.useProtoFieldName,
    );
  }

  /**
   * Runs a request message of `method` through the mux's checks (validation
   * where the `validate` option turns it on for the method, then the
   * `requestInterceptors`), for a protocol that decodes messages itself
   * (Connect, gRPC-Web, gRPC): returns, or a promise, when the message may
   * go on; throws (or rejects with) the `RpcError` to answer otherwise.
   * Per-route validation rules apply where they name no `template` nor
   * `httpMethod`.
   */
  checkRequest(method: DescMethod, message: Message, call?: GatewayCall): void | Promise<void> {
    let checks = this.#methodChecks.get(method);
    if (checks === undefined) {
      checks = this.#checks(
        method,
        {
          template: undefined,
          httpMethod: undefined,
          service: method.parent.typeName,
          rpc: method.name,
        },
        this.options,
      );
      this.#methodChecks.set(method, checks);
    }
    return checks.request?.(message, call);
  }

  /**
   * Serves a service's generated routes by calling `backend`: a generated
   * client (a gateway in front of a remote server) or a local implementation.
   */
  register(routes: ServiceRoutes, backend: object, options?: RegisterOptions): this {
    const { hosts, pathPrefix, ...json } = options ?? {};
    const site: Site = { hosts, pathPrefix };
    // Only JSON options resolve anew (each resolution builds an error-details registry).
    const resolved = Object.values(json).every((v) => v === undefined)
      ? this.options
      : resolveMuxOptions({ ...this.options.input, ...json });
    this.#rpc?.add(routes.service, backend, rpcOptions(resolved));
    if (!this.options.protocols.has("rest")) return this;
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
      const info: RouteInfo = {
        template: (pathPrefix ?? "") + route.path,
        httpMethod: route.method,
        service: method.parent.typeName,
        rpc: method.name,
        methodKind: method.methodKind,
        method,
      };
      const checks = this.#checks(method, info, resolved);
      const serve =
        method.methodKind === "unary"
          ? unaryHandler(method, route, call, resolved, checks)
          : streamingHandler(method, route, call, resolved, checks, this.#openStreams);
      const rawStream =
        method.output.typeName === "google.api.HttpBody" && (route.responseBody ?? "") === "";
      this.#table.add(
        site,
        route.method,
        route.pattern,
        { serve, info, rawStream },
        routeName(method, route),
      );
      if (
        method.methodKind !== "unary" &&
        this.#upgradeTable !== undefined &&
        this.#webSocketServer !== undefined
      ) {
        this.#upgradeTable.add(
          site,
          route.method,
          route.pattern,
          {
            serve: webSocketHandler(
              method,
              route,
              call,
              resolved,
              this.#webSocketServer,
              checks.request,
            ),
            info,
            rawStream,
          },
          routeName(method, route),
        );
      }
    }
    return this;
  }

  /**
   * Adds a hand-written route with an HttpRule path template, e.g.
   * `mux.handlePath("GET", "/healthz", fn, { operational: true })`. An
   * `operational` route (health, metrics, docs) is left alone by access
   * policies (auth, rate limits) unless a rule names its template.
   */
  handlePath(
    method: string,
    template: string,
    handler: PathHandler,
    route: { operational?: boolean } = {},
  ): this {
    const pattern = compilePathTemplate(template);
    const options = this.options;
    const httpMethod = method.toUpperCase();
    const serve: RouteHandler = (req, res, params, _query, call) => {
      const named: Record<string, string> = Object.create(null);
      for (const [key, value] of params) named[key] = value;
      Promise.resolve()
        .then(() => handler(req, res, named))
        .catch((err: unknown) =>
          writeError(RpcError.from(err, Code.Internal), req, res, options.errors, undefined, call),
        );
    };
    const info: RouteInfo = {
      template,
      httpMethod,
      service: "",
      rpc: "",
      methodKind: "unary",
      method: undefined,
      ...(route.operational === true ? { operational: true } : {}),
    };
    this.#table.add(
      {},
      httpMethod,
      pattern,
      { serve, info, rawStream: false },
      `${httpMethod} ${template}`,
    );
    return this;
  }

  /**
   * Adds a middleware to the request pipeline every call of this mux passes
   * through: unary and streaming, over HTTP and WebSocket, whatever the
   * backend, and requests no route matches (404, 405, a bad path) too,
   * unless they go to Express's `next()`. Middlewares run in the order they
   * were added; see {@link Middleware}.
   */
  use(middleware: Middleware): this {
    if (middleware.phase === "observe") {
      // Observers go before every policy, in their own `use` order.
      const firstPolicy = this.#middlewares.findIndex((m) => m.phase !== "observe");
      if (firstPolicy !== -1) {
        this.#middlewares.splice(firstPolicy, 0, middleware);
        return this;
      }
    }
    this.#middlewares.push(middleware);
    return this;
  }

  /**
   * Shows a request Node's HTTP parser refused (a 400, 408, 413 or 431 from
   * the server's `'clientError'`, before any route was looked up) to the
   * `observe`-phase middlewares, then answers it on `socket` with `error`.
   * `gatewayServer` calls it for the mux it is given.
   * @internal
   */
  refuseClientError(socket: Duplex, error: RpcError): void {
    const registry = this.options.errors.registry;
    const observers = this.#middlewares.filter((m) => m.phase === "observe");
    if (observers.length === 0) {
      rejectUpgrade(socket, error, registry);
      return;
    }
    const req = new IncomingMessage(socket as Socket);
    req.method = "";
    const call = new PipelineCall({
      route: undefined,
      unmatched: "bad-request",
      transport: "unary",
      path: "",
      req,
      res: undefined,
      socket,
      metadata: new Metadata(),
      metadataError: undefined,
    });
    runPipeline(
      observers,
      call,
      (c) => rejectUpgrade(socket, error, registry, c),
      (c, e) => rejectUpgrade(socket, e, registry, c),
    );
  }

  /**
   * Serves a request. With `next`, unmatched requests go to it (unless the
   * mux was built with `notFound: "404"`); without, they get a 404.
   */
  handle(req: IncomingMessage, res: ServerResponse, next?: NextFunction): void {
    // Writes after a client reset emit 'error' on the response; never let one go unheard.
    if (res.listenerCount("error") === 0) res.on("error", ignoreError);
    const badHost = duplicateHost(req);
    if (badHost !== undefined) {
      res.shouldKeepAlive = false;
      writeError(badHost, req, res, this.options.errors, undefined, undefined);
      return;
    }
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? "" : url.slice(q + 1);
    const method = req.method ?? "GET";
    const rpc = this.#rpc?.method(path);
    if (rpc !== undefined) {
      this.#handleRpc(req, res, path, rpc);
      return;
    }
    let m = this.#table.match(authority(req), method, path);
    if (method === "HEAD" && m.kind === "method-not-allowed") m = this.#headAsGet(req, path, m);
    if (m.kind === "not-found" && next !== undefined && this.options.notFound === "next") {
      next();
      return;
    }
    if (this.#middlewares.length !== 0) {
      this.#handleInPipeline(req, res, path, query, m);
      return;
    }
    switch (m.kind) {
      case "match":
        m.value.serve(req, res, m.params, query, undefined);
        return;
      default:
        this.#unmatched(req, res, path, m, undefined);
    }
  }

  /**
   * HEAD on a path without a HEAD route: its unary GET route, served as is
   * (Node sends no body for HEAD, RFC 9110 §9.3.2); streams stay a 405.
   */
  #headAsGet(
    req: IncomingMessage,
    path: string,
    m: MatchResult<MuxRoute<RouteHandler>>,
  ): MatchResult<MuxRoute<RouteHandler>> {
    const get = this.#table.match(authority(req), "GET", path);
    return get.kind === "match" && get.value.info.methodKind === "unary" ? get : m;
  }

  /** The route `method` matches on `path` (HEAD: the GET route it is served as), for a preflight. */
  #routeFor(req: IncomingMessage, method: string, path: string): RouteInfo | undefined {
    let m = this.#table.match(authority(req), method, path);
    if (method === "HEAD" && m.kind === "method-not-allowed") m = this.#headAsGet(req, path, m);
    return m.kind === "match" ? m.value.info : undefined;
  }

  /**
   * Answers a request no route matches: 405 with `Allow` (204 with `Allow`
   * for `OPTIONS`, where the CORS middleware answers preflights), 400 for a
   * bad path, or 404.
   */
  #unmatched(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    m: Exclude<MatchResult<unknown>, { kind: "match" }>,
    call: PipelineCall | undefined,
  ): void {
    switch (m.kind) {
      case "method-not-allowed": {
        const allow = m.allow;
        if (req.method === "OPTIONS") {
          res.setHeader("Allow", optionsAllow(allow).join(", "));
          res.statusCode = 204;
          res.end();
          return;
        }
        res.setHeader("Allow", allow.join(", "));
        writeError(
          new HttpStatusError(
            `method ${req.method} is not allowed for ${path}; allowed: ${allow.join(", ")}`,
            Code.Unimplemented,
            405,
          ),
          req,
          res,
          this.options.errors,
          undefined,
          call,
        );
        return;
      }
      case "bad-path":
        writeError(
          new RpcError(m.message, Code.InvalidArgument),
          req,
          res,
          this.options.errors,
          undefined,
          call,
        );
        return;
      case "not-found":
        writeError(
          new RpcError(`no route for ${req.method} ${path}`, Code.NotFound),
          req,
          res,
          this.options.errors,
          undefined,
          call,
        );
    }
  }

  #handleInPipeline(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
    m: MatchResult<MuxRoute<RouteHandler>>,
  ): void {
    const options = this.options;
    if (m.kind === "match") {
      const route = m.value;
      const md = metadataFromHeaders(req.headers, {
        headerMatcher: options.setup.headerMatcher,
        peerAddress: req.socket.remoteAddress,
      });
      const call = new PipelineCall({
        route: route.info,
        transport: httpTransport(route.info.methodKind, req.headers.accept, route.rawStream),
        path,
        req,
        res,
        metadata: md.ok ? md.metadata : new Metadata(),
        metadataError: md.ok ? undefined : new RpcError(md.message, Code.InvalidArgument),
      });
      runPipeline(
        this.#middlewares,
        call,
        (c) => route.serve(req, res, m.params, query, c),
        (c, error) => writeError(error, req, res, options.errors, undefined, c),
      );
      return;
    }
    this.#unmatchedInPipeline(
      req,
      res,
      path,
      m,
      m.kind === "method-not-allowed"
        ? { routeFor: (method) => this.#routeFor(req, method, path) }
        : {},
      (c, error) => writeError(error, req, res, options.errors, undefined, c),
    );
  }

  /**
   * Runs a request no route serves (or a preflight) through the middlewares,
   * which may answer it (CORS, auth) or see it (metrics, logs), then answers
   * it with {@link #unmatched}.
   */
  #unmatchedInPipeline(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    m: Exclude<MatchResult<unknown>, { kind: "match" }>,
    about: { routeFor?: (httpMethod: string) => RouteInfo | undefined; protocol?: Protocol },
    onError: (call: PipelineCall, error: RpcError) => void,
  ): void {
    const call = new PipelineCall({
      route: undefined,
      unmatched: m.kind,
      allow: m.kind === "method-not-allowed" ? m.allow : [],
      ...about,
      transport: "unary",
      path,
      req,
      res,
      metadata: new Metadata(),
      metadataError: undefined,
    });
    runPipeline(this.#middlewares, call, (c) => this.#unmatched(req, res, path, m, c), onError);
  }

  /**
   * Serves a call to `/<package>.<Service>/<Method>` over Connect, gRPC-Web
   * or gRPC, through the middlewares like a REST call; a preflight (`OPTIONS`)
   * is answered like one to a REST path, with the methods the endpoint takes.
   */
  #handleRpc(req: IncomingMessage, res: ServerResponse, path: string, rpc: RpcMethodHandler): void {
    const router = this.#rpc as RpcRouter;
    const options = this.options;
    const httpMethod = req.method ?? "GET";
    const protocol = rpcProtocolOf(req.headers["content-type"]);
    if (httpMethod === "OPTIONS") {
      const allow = rpc.handler.allowedMethods;
      const m = { kind: "method-not-allowed", allow } as const;
      if (this.#middlewares.length === 0) {
        this.#unmatched(req, res, path, m, undefined);
        return;
      }
      this.#unmatchedInPipeline(
        req,
        res,
        path,
        m,
        {
          routeFor: (method) =>
            method === "POST" ? rpc.info : method === "GET" ? rpc.getInfo : undefined,
          protocol,
        },
        (c, error) => router.refuse(req, res, protocol, error, c),
      );
      return;
    }
    const md = metadataFromHeaders(req.headers, {
      headerMatcher: options.setup.headerMatcher,
      peerAddress: req.socket.remoteAddress,
    });
    const metadata = md.ok ? md.metadata : new Metadata();
    const metadataError = md.ok ? undefined : new RpcError(md.message, Code.InvalidArgument);
    const tooLong =
      httpMethod === "GET" && (req.url?.length ?? 0) > options.maxConnectGetUrlBytes
        ? new RpcError(
            `the URL of a Connect GET is longer than ${options.maxConnectGetUrlBytes} bytes: send the call as a POST`,
            Code.ResourceExhausted,
          )
        : undefined;
    if (this.#middlewares.length === 0) {
      if (tooLong !== undefined) router.refuse(req, res, protocol, tooLong, undefined);
      else router.serve(req, res, rpc, { pipeline: undefined, metadata, metadataError });
      return;
    }
    const call = new PipelineCall({
      route: httpMethod === "GET" && rpc.getInfo !== undefined ? rpc.getInfo : rpc.info,
      transport: rpc.info.methodKind === "unary" ? "unary" : "rpc-stream",
      protocol,
      path,
      req,
      res,
      metadata,
      metadataError,
    });
    runPipeline(
      this.#middlewares,
      call,
      (c) => {
        const state: RpcCallState = { pipeline: c, metadata: c.metadata, metadataError };
        if (tooLong !== undefined) router.refuse(req, res, protocol, tooLong, c);
        else router.serve(req, res, rpc, state);
      },
      (c, error) => router.refuse(req, res, protocol, error, c),
    );
  }

  /**
   * The RPC endpoints this mux serves (Connect, gRPC-Web, gRPC), for listings
   * such as `ts-gateway check`: path, method kind, and the HTTP methods taken.
   * Empty when `protocols` name none.
   */
  rpcEndpoints(): Array<{
    path: string;
    service: string;
    rpc: string;
    methodKind: string;
    httpMethods: readonly string[];
  }> {
    const out = [];
    for (const m of this.#rpc?.methods() ?? []) {
      out.push({
        path: m.info.template,
        service: m.info.service,
        rpc: m.info.rpc,
        methodKind: m.info.methodKind,
        httpMethods: m.handler.allowedMethods,
      });
    }
    return out;
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
    const query = q === -1 ? "" : url.slice(q + 1);
    const host = authority(req);
    let m = this.#upgradeTable.match(host, "GET", path);
    if (m.kind === "method-not-allowed" && m.allow[0] !== undefined) {
      m = this.#upgradeTable.match(host, m.allow[0], path);
    }
    if (m.kind !== "match") return false;
    guardSocket(socket);
    const badHost = duplicateHost(req);
    if (badHost !== undefined) {
      rejectUpgrade(socket, badHost, this.options.errors.registry);
      return true;
    }
    const route = m.value;
    if (this.#middlewares.length === 0) {
      route.serve(req, socket, head, m.params, query, undefined);
      return true;
    }
    const options = this.options;
    const md = metadataFromHeaders(req.headers, {
      headerMatcher: options.setup.headerMatcher,
      peerAddress: req.socket.remoteAddress,
    });
    const call = new PipelineCall({
      route: route.info,
      transport: "websocket",
      path,
      req,
      res: undefined,
      socket,
      metadata: md.ok ? md.metadata : new Metadata(),
      metadataError: md.ok ? undefined : new RpcError(md.message, Code.InvalidArgument),
    });
    const params = m.params;
    runPipeline(
      this.#middlewares,
      call,
      (c) => route.serve(req, socket, head, params, query, c),
      (c, error) => rejectUpgrade(socket, error, options.errors.registry, c),
    );
    return true;
  }

  /**
   * Closes every open WebSocket of this mux with `code` (default 1001, going
   * away), e.g. when the server shuts down; their calls are cancelled.
   */
  closeWebSockets(code = 1001, reason = "server shutting down"): void {
    for (const ws of this.#webSocketServer?.clients ?? []) ws.close(code, reason);
  }

  /**
   * Ends every open stream of this mux, e.g. when the server shuts down: an
   * NDJSON or SSE stream gets a last error frame (UNAVAILABLE, `reason`) and
   * ends; a WebSocket is closed with 1001 and `reason`. Their backend calls
   * are cancelled. Returns how many HTTP streams were ended.
   */
  endStreams(reason = "server shutting down"): number {
    const open = this.#openStreams.size;
    this.#openStreams.endAll(new RpcError(reason, Code.Unavailable));
    this.closeWebSockets(1001, reason);
    return open;
  }

  /**
   * Refuses an upgrade request no WebSocket route matches with a 404, through
   * the pipeline (so middlewares count it).
   * @internal
   */
  refuseUpgrade(req: IncomingMessage, socket: Duplex): void {
    const error = new RpcError(`no WebSocket route for ${req.url}`, Code.NotFound);
    if (this.#middlewares.length === 0) {
      rejectUpgrade(socket, error, this.options.errors.registry);
      return;
    }
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const call = new PipelineCall({
      route: undefined,
      unmatched: "not-found",
      transport: "websocket",
      path: q === -1 ? url : url.slice(0, q),
      req,
      res: undefined,
      socket,
      metadata: new Metadata(),
      metadataError: undefined,
    });
    const refuse = (c: PipelineCall, e: RpcError) =>
      rejectUpgrade(socket, e, this.options.errors.registry, c);
    runPipeline(this.#middlewares, call, (c) => refuse(c, error), refuse);
  }

  /** `handle` bound to this mux, for `http.createServer(mux.handler)`. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
}

function ignoreError(): void {}

/** The option values of the RPC protocols' handlers. */
function rpcOptions(options: ResolvedMuxOptions): RpcOptions {
  return {
    protocols: options.protocols,
    maxRequestBytes: options.limits.maxRequestBytes,
    timeouts: options.setup.timeouts,
    maxStreamDurationMs: options.maxStreamDurationMs,
    redactInternalErrors: options.errors.redactInternalErrors,
    registry: options.errors.registry,
    ignoreUnknownFields: options.decode.readJson.ignoreUnknownFields,
  };
}

/** The host a request is for: HTTP/2's `:authority`, else `Host`. */
function authority(req: IncomingMessage): string | undefined {
  const a = req.headers[":authority"] ?? req.headers.host;
  return typeof a === "string" ? a : undefined;
}

/** A route's handler and what the pipeline tells middlewares about it. */
interface MuxRoute<H> {
  readonly serve: H;
  readonly info: RouteInfo;
  /** A server stream of raw google.api.HttpBody bytes (transport `http-body`). */
  readonly rawStream: boolean;
}

/** The methods a path answers, as an `OPTIONS` answer lists them: its routes', HEAD with GET, and OPTIONS. @internal */
export function optionsAllow(allow: readonly string[]): string[] {
  const methods = [...allow];
  if (methods.includes("GET") && !methods.includes("HEAD")) methods.push("HEAD");
  if (!methods.includes("OPTIONS")) methods.push("OPTIONS");
  return methods;
}

function routeName(method: DescMethod, route: RouteSpec): string {
  return `${method.parent.name}.${method.name} (${route.method} ${route.path})`;
}
