import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { DescMethod } from "@bufbuild/protobuf";
import type { CallContext } from "../core/call-context.js";
import { codeFromHttpStatus } from "../core/http-status.js";
import { Code, RpcError } from "../core/rpc-error.js";

/**
 * How a call travels over HTTP: `unary` (one request, one response; also
 * requests no route matches), `ndjson` and `sse` (a server stream's framing),
 * `http-body` (a server stream of raw `google.api.HttpBody` bytes),
 * `http-bidi` (a client or bidi stream in the request body) or `websocket`.
 */
export type Transport = "unary" | "ndjson" | "sse" | "http-body" | "http-bidi" | "websocket";

/** The route a request matched: what metrics and logs label it with (never the raw path). */
export interface RouteInfo {
  /** The path template as written in the proto (`/v1/{name=shelves/*}`), or of `handlePath`. */
  readonly template: string;
  /** The route's HTTP method (upper case); for a WebSocket upgrade, the route's, not `GET`. */
  readonly httpMethod: string;
  /** The service's full name (`library.v1.LibraryService`); `""` for a `handlePath` route. */
  readonly service: string;
  /** The method's name (`GetShelf`); `""` for a `handlePath` route. */
  readonly rpc: string;
  /** The method's kind; `unary` for a `handlePath` route. */
  readonly methodKind: DescMethod["methodKind"];
  /** The method's descriptor (its options: `deprecated`, …); undefined for a `handlePath` route. */
  readonly method: DescMethod | undefined;
}

/** Why a request matched no route. */
export type Unmatched = "not-found" | "method-not-allowed" | "bad-path";

/** The client end of a request. */
export interface Peer {
  /** The remote address (`127.0.0.1`, `::1`), undefined once the socket is gone. */
  readonly address: string | undefined;
  readonly port: number | undefined;
  /** The TLS socket, for a request over TLS (client certificate: `tls.getPeerCertificate()`). */
  readonly tls: TLSSocket | undefined;
}

/**
 * What became of a call. Counters grow while it runs; every field is final
 * once `next()` resolved.
 */
export interface CallOutcome {
  /** The HTTP status written; 101 for an accepted WebSocket; 499 when the client left before any was written. */
  httpStatus: number;
  /** The call's gRPC status code (OK for a success). */
  code: Code;
  /** The error the call failed with (its `cause` holds the detail a client does not see). */
  error: RpcError | undefined;
  /** From the call's arrival at the mux to the end of its response, in milliseconds. */
  durationMs: number;
  /** Request body bytes read (for streams, all messages). */
  bytesIn: number;
  /** Response body bytes written (for streams and WebSockets, all messages). */
  bytesOut: number;
  /** Request messages decoded (1 for a unary call with a valid request). */
  messagesIn: number;
  /** Response messages written (1 for a unary success). */
  messagesOut: number;
  /**
   * The backend endpoint (`host:port`) that served the call, where the
   * transport knows it: a remote call over grpc-js that reached an endpoint
   * (undefined in-process, and for a call no endpoint took).
   */
  endpoint: string | undefined;
}

/**
 * One request as a middleware sees it: the route it matched, its headers and
 * peer, the metadata the backend will receive, and (once `next()` resolved)
 * its outcome.
 */
export interface GatewayCall {
  /** The matched route, or undefined when no route matched (see {@link GatewayCall.unmatched}). */
  readonly route: RouteInfo | undefined;
  /** Why no route matched; undefined when one did. */
  readonly unmatched: Unmatched | undefined;
  /** For `method-not-allowed`: the methods the path has routes for. */
  readonly allow: readonly string[] | undefined;
  /**
   * For `method-not-allowed`: the route the path has for another HTTP method
   * (a CORS preflight asks for its `Access-Control-Request-Method`'s);
   * undefined when it has none, or for other requests.
   */
  routeFor(httpMethod: string): RouteInfo | undefined;
  readonly transport: Transport;
  /** The request's HTTP method (`GET` for a WebSocket upgrade). */
  readonly httpMethod: string;
  /** The request path, without the query. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly peer: Peer;
  readonly req: IncomingMessage;
  /**
   * The HTTP response, for a middleware that answers itself (a CORS preflight)
   * or wraps its writes (compression). Undefined on WebSocket upgrades.
   */
  readonly res: ServerResponse | undefined;
  /**
   * The request metadata the backend receives, made from the headers by the
   * mux's header rules: `set` adds or replaces a key (a client-sent value of
   * that key is gone), `remove` strips one. Empty for unmatched requests.
   */
  readonly metadata: CallContext["metadata"];
  /** The call context, once the backend call is set up (inside `next()`); undefined before. */
  readonly context: CallContext | undefined;
  /** `performance.now()` when the request reached the mux. */
  readonly startTime: number;
  /** What became of the call: final once `next()` resolved. */
  readonly outcome: CallOutcome;
  /** Sets a response header (on a WebSocket upgrade: of the 101, or of the refusal). Ignored once headers went out. */
  setHeader(name: string, value: string | readonly string[]): void;
  /**
   * For a WebSocket call: adds a check every inbound message passes, in
   * arrival order, before it reaches the backend (a per-message rate limit);
   * one that throws ends the call with its error (close code `4000 + code`,
   * the status as reason). Ignored on other transports.
   */
  checkMessages(check: MessageCheck): void;
}

/** A check of an inbound WebSocket message (see {@link GatewayCall.checkMessages}); throws to refuse it. */
export type MessageCheck = () => void | Promise<void>;

/**
 * A step of the request pipeline (`mux.use(middleware)`). Middlewares run in
 * registration order, each around the rest: call `next()` to go on (it
 * resolves with the outcome once the response is complete, and never
 * rejects), throw an `RpcError` to refuse the call (answered in the mux's
 * error format, with the headers set so far), or answer through `call.res`
 * yourself and return without calling `next()`.
 */
export type Middleware = (
  call: GatewayCall,
  next: () => Promise<CallOutcome>,
  // biome-ignore lint/suspicious/noConfusingVoidType: a middleware returns nothing, or a promise
) => void | Promise<unknown>;

/**
 * The mutable record behind a {@link GatewayCall}; the handlers update its
 * outcome as the call runs. Only exists when middlewares are installed.
 * @internal
 */
export class PipelineCall implements GatewayCall {
  readonly route: RouteInfo | undefined;
  readonly unmatched: Unmatched | undefined;
  readonly allow: readonly string[] | undefined;
  readonly #routeFor: ((httpMethod: string) => RouteInfo | undefined) | undefined;
  transport: Transport;
  readonly httpMethod: string;
  readonly path: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse | undefined;
  readonly metadata: CallContext["metadata"];
  /** The header rules' verdict on the request headers: an error is answered by the handler, in its usual order. */
  readonly metadataError: RpcError | undefined;
  context: CallContext | undefined;
  readonly startTime = performance.now();
  readonly outcome: CallOutcome = {
    httpStatus: 0,
    code: Code.Ok,
    error: undefined,
    durationMs: 0,
    bytesIn: 0,
    bytesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
    endpoint: undefined,
  };
  /** Headers set for a WebSocket upgrade: written on the 101 or the refusal. */
  upgradeHeaders: Array<[string, string | readonly string[]]> | undefined;
  /** Checks of a WebSocket call's inbound messages (see {@link GatewayCall.checkMessages}). */
  messageChecks: MessageCheck[] | undefined;
  /** Whether the handler recorded the code (else it is derived from the HTTP status). */
  #codeSet = false;
  #ended = false;
  readonly #done: Promise<CallOutcome>;
  #resolve!: (outcome: CallOutcome) => void;

  constructor(init: {
    route: RouteInfo | undefined;
    unmatched?: Unmatched;
    allow?: readonly string[];
    /** For `method-not-allowed`: the path's route for another method. */
    routeFor?: (httpMethod: string) => RouteInfo | undefined;
    transport: Transport;
    path: string;
    req: IncomingMessage;
    res: ServerResponse | undefined;
    metadata: CallContext["metadata"];
    metadataError: RpcError | undefined;
    /** For a WebSocket upgrade: the socket, whose close ends the call. */
    socket?: Duplex;
  }) {
    this.route = init.route;
    this.unmatched = init.unmatched;
    this.allow = init.allow;
    this.#routeFor = init.routeFor;
    this.transport = init.transport;
    this.httpMethod = init.req.method ?? "GET";
    this.path = init.path;
    this.req = init.req;
    this.res = init.res;
    this.metadata = init.metadata;
    this.metadataError = init.metadataError;
    this.#done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    const res = init.res;
    if (res !== undefined) {
      res.once("close", () => {
        if (res.headersSent) this.end(res.statusCode, !res.writableFinished);
        else this.end(499, true);
      });
    }
    init.socket?.once("close", () => this.end(this.upgradeStatus ?? 499, true));
  }

  /** For a WebSocket upgrade: 101 once accepted, or the status of its refusal. @internal */
  upgradeStatus: number | undefined;

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  get peer(): Peer {
    const socket = this.req.socket;
    return {
      address: socket.remoteAddress,
      port: socket.remotePort,
      tls: (socket as Partial<TLSSocket>).encrypted === true ? (socket as TLSSocket) : undefined,
    };
  }

  setHeader(name: string, value: string | readonly string[]): void {
    if (this.res !== undefined) {
      if (!this.res.headersSent) this.res.setHeader(name, value);
      return;
    }
    this.upgradeHeaders ??= [];
    this.upgradeHeaders.push([name, value]);
  }

  routeFor(httpMethod: string): RouteInfo | undefined {
    return this.#routeFor?.(httpMethod.toUpperCase());
  }

  checkMessages(check: MessageCheck): void {
    if (this.transport !== "websocket") return;
    this.messageChecks ??= [];
    this.messageChecks.push(check);
  }

  /** Records how the call ended (first report wins). @internal */
  fail(error: RpcError): void {
    if (this.#codeSet) return;
    this.#codeSet = true;
    this.outcome.code = error.code;
    this.outcome.error = error;
  }

  /** Records the backend endpoint that served the call (the first one reported). @internal */
  reachedEndpoint(address: string): void {
    if (!this.#ended) this.outcome.endpoint ??= address;
  }

  /** Records a success. @internal */
  succeed(): void {
    if (this.#codeSet) return;
    this.#codeSet = true;
    this.outcome.code = Code.Ok;
  }

  /** Completes the outcome and resolves `next()`: the response is over. @internal */
  end(httpStatus: number, clientLeft: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    const outcome = this.outcome;
    outcome.httpStatus = httpStatus;
    outcome.durationMs = performance.now() - this.startTime;
    if (!this.#codeSet) {
      this.#codeSet = true;
      if (clientLeft) outcome.code = Code.Cancelled;
      else outcome.code = httpStatus < 400 ? Code.Ok : codeFromHttpStatus(httpStatus);
    }
    this.#resolve(outcome);
  }

  /** Resolves once the response is over. @internal */
  get done(): Promise<CallOutcome> {
    return this.#done;
  }

  /** Whether the response is over (the client may have left while middlewares ran). @internal */
  get ended(): boolean {
    return this.#ended;
  }
}

/**
 * Runs a call through the middlewares and then `serve` (the route's handler,
 * or the unmatched answer). A middleware that throws before the call started
 * is answered with `refuse`; `next()` always resolves with the outcome.
 * @internal
 */
export function runPipeline(
  middlewares: readonly Middleware[],
  call: PipelineCall,
  serve: (call: PipelineCall) => void,
  refuse: (call: PipelineCall, error: RpcError) => void,
): void {
  let started = false;
  const dispatch = (i: number): Promise<CallOutcome> => {
    const middleware = middlewares[i];
    if (middleware === undefined) {
      if (!started && !call.ended) {
        started = true;
        serve(call);
      }
      return call.done;
    }
    let next: Promise<CallOutcome> | undefined;
    const proceed = () => {
      next ??= dispatch(i + 1);
      return next;
    };
    // biome-ignore lint/suspicious/noConfusingVoidType: what a Middleware returns
    let result: void | Promise<unknown>;
    try {
      result = middleware(call, proceed);
    } catch (err) {
      return refused(err);
    }
    if (result === undefined) return next ?? answered();
    // The common `return next()`: nothing to wait for besides the call itself.
    if (result === next) return next;
    return Promise.resolve(result).then(
      () => next ?? answered(),
      (err: unknown) => refused(err),
    );
  };
  /** A middleware threw: answer its error, unless the call is already under way. */
  const refused = (err: unknown): Promise<CallOutcome> => {
    if (!started && !call.ended) {
      started = true;
      const error = RpcError.from(err, Code.Internal);
      call.fail(error);
      refuse(call, error);
    }
    return call.done;
  };
  /** A middleware returned without `next()`: it must have answered; if not, that is a bug → 500. */
  const answered = (): Promise<CallOutcome> => {
    if (!started && call.res !== undefined && !call.res.headersSent && !call.res.writableEnded) {
      return refused(
        new RpcError("a middleware neither called next() nor answered", Code.Internal),
      );
    }
    started = true;
    return call.done;
  };
  // Never rejects: a middleware's rejection is answered by `refused`.
  void dispatch(0);
}

/** The transport of an HTTP request to a route, from its method kind and the request's `Accept`. @internal */
export function httpTransport(
  kind: DescMethod["methodKind"],
  accept: string | undefined,
  rawStream: boolean,
): Transport {
  switch (kind) {
    case "unary":
      return "unary";
    case "server_streaming":
      if (rawStream) return "http-body";
      return accept !== undefined && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept)
        ? "sse"
        : "ndjson";
    default:
      return "http-bidi";
  }
}
