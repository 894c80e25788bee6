import type { IncomingHttpHeaders } from "node:http";
import type { Metadata } from "@grpc/grpc-js";
import {
  type Attributes,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { codeToString } from "../core/rpc-error.js";
import type { CallOutcome, GatewayCall, Middleware } from "../pipeline/pipeline.js";

/** Options of {@link tracing}. */
export interface TracingOptions {
  /**
   * The tracer spans are started with; default `trace.getTracer("@ts-gateway/runtime")`
   * from the global provider, which is the API's no-op until the application
   * registers an SDK (then it delegates to it).
   */
  tracer?: Tracer;
  /** Calls to leave untraced (a `/metrics` scrape, health probes); default: none. */
  skip?: (call: GatewayCall) => boolean;
}

/** The instrumentation scope of the runtime's spans. */
export const tracerName = "@ts-gateway/runtime";

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};

const metadataSetter: TextMapSetter<Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};

/** Methods semantic conventions name as they are; others are `_OTHER` (cardinality). */
const knownMethods = new Set([
  "CONNECT",
  "DELETE",
  "GET",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "POST",
  "PUT",
  "TRACE",
]);

/**
 * OpenTelemetry traces of a gateway, as a pipeline middleware
 * (`mux.use(tracing())`, installed first so refused calls get a span too).
 *
 * Each call gets a `SERVER` span named `<HTTP method> <route template>`
 * (`<HTTP method>` alone for requests no route matched) with the HTTP and
 * RPC semantic-convention attributes. An incoming W3C `traceparent` (through
 * the application's registered propagator) makes it the client's child; the
 * call's backend metadata then carries the gateway span's context instead of
 * the client's, so the backend's span is the gateway span's child. A stream's
 * span lasts its whole life and ends with its message counts.
 *
 * Depends on `@opentelemetry/api` only. Without a registered SDK the tracer
 * returns non-recording spans and the middleware only calls `next()`.
 */
export function tracing(options: TracingOptions = {}): Middleware {
  const tracer = options.tracer ?? trace.getTracer(tracerName);
  const skip = options.skip;
  return (call, next) => {
    if (skip?.(call)) return next();
    const parent = propagation.extract(ROOT_CONTEXT, call.headers, headerGetter);
    // The attributes a sampler may look at go in at the start; the rest only
    // once the span records, so that the API's no-op tracer costs next to nothing.
    const method = knownMethods.has(call.httpMethod) ? call.httpMethod : "_OTHER";
    const sampling: Attributes = { "http.request.method": method, "url.path": call.path };
    if (call.route !== undefined) sampling["http.route"] = call.route.template;
    const span = tracer.startSpan(
      spanName(call),
      { kind: SpanKind.SERVER, attributes: sampling },
      parent,
    );
    if (!span.isRecording()) {
      // No SDK, or sampled out: nothing to record, but a sampled-out span of
      // an SDK still has a context of its own that the backend must see.
      if (isSpanContextValid(span.spanContext())) inject(call, trace.setSpan(parent, span));
      return next();
    }
    span.setAttributes(requestAttributes(call));
    const active = trace.setSpan(parent, span);
    inject(call, active);
    return context.with(active, next).then((outcome) => endSpan(span, call, outcome));
  };
}

/** Replaces the client's trace headers in the backend metadata with the gateway span's context. */
function inject(call: GatewayCall, active: ReturnType<typeof trace.setSpan>): void {
  call.metadata.remove("traceparent");
  call.metadata.remove("tracestate");
  propagation.inject(active, call.metadata, metadataSetter);
}

function spanName(call: GatewayCall): string {
  const method = knownMethods.has(call.httpMethod) ? call.httpMethod : "HTTP";
  return call.route === undefined ? method : `${method} ${call.route.template}`;
}

/** The attributes known at the start besides the sampling ones. */
function requestAttributes(call: GatewayCall): Attributes {
  const method = call.httpMethod;
  const known = knownMethods.has(method);
  const peer = call.peer;
  const attributes: Attributes = {
    "url.scheme": peer.tls === undefined ? "http" : "https",
    "network.protocol.version": call.req.httpVersion,
    "client.address": peer.address,
    "client.port": peer.port,
  };
  if (!known) attributes["http.request.method_original"] = method;
  const host = call.headers.host;
  if (host !== undefined) {
    const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
    if (m !== null) {
      attributes["server.address"] = m[1];
      if (m[2] !== undefined) attributes["server.port"] = Number(m[2]);
    }
  }
  const userAgent = call.headers["user-agent"];
  if (userAgent !== undefined) attributes["user_agent.original"] = userAgent;
  const route = call.route;
  if (route !== undefined) {
    if (route.service !== "") {
      attributes["rpc.system"] = "grpc";
      attributes["rpc.service"] = route.service;
      attributes["rpc.method"] = route.rpc;
    }
    if (call.transport !== "unary") attributes["gateway.transport"] = call.transport;
  }
  return attributes;
}

function endSpan(span: Span, call: GatewayCall, outcome: CallOutcome): void {
  const attributes: Attributes = { "http.response.status_code": outcome.httpStatus };
  const route = call.route;
  if (route !== undefined && route.service !== "") {
    attributes["rpc.grpc.status_code"] = outcome.code;
    if (route.methodKind !== "unary") {
      // The pipeline reports message counts, not each message: one event
      // per direction at the stream's end, with its count.
      span.addEvent("rpc.message", {
        "rpc.message.type": "RECEIVED",
        "gateway.message.count": outcome.messagesIn,
      });
      span.addEvent("rpc.message", {
        "rpc.message.type": "SENT",
        "gateway.message.count": outcome.messagesOut,
      });
    }
  }
  if (outcome.endpoint !== undefined) attributes["gateway.backend.endpoint"] = outcome.endpoint;
  span.setAttributes(attributes);
  if (outcome.httpStatus >= 500) {
    span.setAttribute("error.type", String(outcome.httpStatus));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: outcome.error?.message ?? codeToString(outcome.code),
    });
  }
  span.end();
}
