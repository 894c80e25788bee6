import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Code, codeToString } from "../core/rpc-error.js";
import type { CallOutcome, GatewayCall, Middleware } from "../pipeline/pipeline.js";

/** Log levels the access log writes at. */
export type AccessLogLevel = "debug" | "info" | "warn" | "error";

/** What the access log needs of a logger: pino's method shape (`logger.info(obj, msg)`). */
export interface AccessLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of {@link accessLog}. */
export interface AccessLogOptions {
  /** A pino logger (or anything with its method shape). For a busy gateway, give it pino's async destination. */
  logger: AccessLogger;
  /** The level of a call's line; default: 5xx at `error`, everything else at `info`. */
  level?: (outcome: CallOutcome, call: GatewayCall) => AccessLogLevel | false;
  /**
   * The request-id header: taken from the request when it is a sane value
   * (up to 128 printable ASCII characters), else generated; echoed in the
   * response, logged, and forwarded to the backend as metadata of the same
   * name (lower case). Default `x-request-id`; `false` turns request ids off.
   */
  requestIdHeader?: string | false;
  /**
   * Request headers to log (names, lower case); default none. `authorization`,
   * `cookie`, `proxy-authorization` and the names in `redact` are logged as
   * `[REDACTED]` whatever this list says.
   */
  headers?: readonly string[];
  /** More header names whose values never reach the log. */
  redact?: readonly string[];
  /**
   * More fields for a call's line, computed when it ends, e.g. the trace it
   * belongs to: `() => ({ trace_id: trace.getActiveSpan()?.spanContext().traceId })`
   * (installed after `tracing()`, the gateway span is the active one).
   */
  fields?: (call: GatewayCall, outcome: CallOutcome) => Record<string, unknown> | undefined;
}

const alwaysRedacted = ["authorization", "cookie", "proxy-authorization", "set-cookie"];
const saneRequestId = /^[\x21-\x7e]{1,128}$/;

/**
 * One structured line per call, written when the call ends (streams: when
 * they close): time, request id, remote address, HTTP method, route template
 * and path, service and RPC, HTTP status, gRPC code, duration, bytes and
 * messages in and out, the backend endpoint where known, user agent, and for
 * a failed call its error and the cause a client does not see.
 */
export function accessLog(options: AccessLogOptions): Middleware {
  const logger = options.logger;
  const levelOf = options.level ?? defaultLevel;
  const idHeader =
    options.requestIdHeader === false
      ? undefined
      : (options.requestIdHeader ?? "x-request-id").toLowerCase();
  const redacted = new Set([
    ...alwaysRedacted,
    ...(options.redact ?? []).map((h) => h.toLowerCase()),
  ]);
  const logged = (options.headers ?? []).map((h) => h.toLowerCase());
  const fields = options.fields;
  return async (call, next) => {
    let requestId: string | undefined;
    if (idHeader !== undefined) {
      const sent = call.headers[idHeader];
      requestId = typeof sent === "string" && saneRequestId.test(sent) ? sent : randomUUID();
      call.setHeader(idHeader, requestId);
      if (call.route !== undefined) call.metadata.set(idHeader, requestId);
    }
    const outcome = await next();
    const level = levelOf(outcome, call);
    if (level === false) return;
    const route = call.route;
    const line: Record<string, unknown> = {
      req_id: requestId,
      remote_addr: call.peer.address,
      http_method: call.httpMethod,
      route: route?.template,
      path: call.path,
      service: route?.service || undefined,
      rpc: route?.rpc || undefined,
      transport: call.transport,
      status: outcome.httpStatus,
      grpc_code: codeName(outcome.code),
      duration_ms: Math.round(outcome.durationMs * 1000) / 1000,
      bytes_in: outcome.bytesIn,
      bytes_out: outcome.bytesOut,
      messages_in: outcome.messagesIn,
      messages_out: outcome.messagesOut,
      endpoint: outcome.endpoint,
      user_agent: call.headers["user-agent"],
    };
    if (fields !== undefined) Object.assign(line, fields(call, outcome));
    if (logged.length > 0) line.headers = pickHeaders(call.headers, logged, redacted);
    const error = outcome.error;
    if (error !== undefined) {
      line.err = { message: error.rawMessage, cause: causeOf(error.cause) };
    }
    logger[level](line, `${call.httpMethod} ${route?.template ?? call.path} ${outcome.httpStatus}`);
  };
}

function defaultLevel(outcome: CallOutcome): AccessLogLevel {
  return outcome.httpStatus >= 500 ? "error" : "info";
}

function codeName(code: Code): string {
  return code === Code.Ok ? "OK" : codeToString(code).toUpperCase();
}

function pickHeaders(
  headers: IncomingHttpHeaders,
  names: readonly string[],
  redacted: ReadonlySet<string>,
): Record<string, string | string[]> {
  const picked: Record<string, string | string[]> = {};
  for (const name of names) {
    const v = headers[name];
    if (v === undefined) continue;
    picked[name] = redacted.has(name) ? "[REDACTED]" : v;
  }
  return picked;
}

/** The detail behind an error (a backend's address, a grpc-js message) for the log only. */
function causeOf(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
