import type { IncomingMessage, ServerResponse } from "node:http";
import { create, toJson } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { readiness } from "../balancer/balancer.js";
import type { BalancerReadiness } from "../balancer/balancer-readiness.js";
import { httpStatusFromCode } from "../core/http-status.js";
import { isCode } from "../core/rpc-error.js";
import { healthServiceDefinition } from "../grpc/health-definition.js";
import {
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../proto/grpc/health/v1/health_pb.js";

/** A plain node:http handler; mount it at any path with any router. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Writes an error as grpc-gateway's default body `{ code, message, details }`. */
export type HealthErrorWriter = (
  res: ServerResponse,
  httpStatus: number,
  code: grpc.status,
  message: string,
) => void;

const writeJson = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(res.req?.method === "HEAD" ? undefined : text);
};

const defaultErrorWriter: HealthErrorWriter = (res, httpStatus, code, message) =>
  writeJson(res, httpStatus, { code, message, details: [] });

function onlyGet(
  req: IncomingMessage,
  res: ServerResponse,
  writeError: HealthErrorWriter,
): boolean {
  if (req.method === "GET" || req.method === "HEAD") return true;
  res.setHeader("allow", "GET, HEAD");
  writeError(res, 405, grpc.status.UNIMPLEMENTED, "Method Not Allowed");
  return false;
}

/** Options for {@link healthzHandler}. */
export interface HealthzOptions {
  /** Deadline of the Check call; default 2000 ms. */
  timeoutMs?: number;
  /** Error body writer (e.g. the mux's error handler); default grpc-gateway's JSON body. */
  errorWriter?: HealthErrorWriter;
}

/**
 * `/healthz` with grpc-gateway's semantics: calls `grpc.health.v1.Health/Check`
 * on the backend (forwarding `?service=`). SERVING → 200 with the JSON
 * response; NOT_SERVING/UNKNOWN → 503; SERVICE_UNKNOWN → 404; a failed call →
 * the HTTP status of its gRPC code (NOT_FOUND for an unknown service → 404).
 */
export function healthzHandler(channel: grpc.Channel, options: HealthzOptions = {}): NodeHandler {
  const client = new grpc.Client("healthz", grpc.credentials.createInsecure(), {
    channelOverride: channel,
  });
  const writeError = options.errorWriter ?? defaultErrorWriter;
  const timeoutMs = options.timeoutMs ?? 2000;
  const def = healthServiceDefinition.check;
  return (req, res) => {
    if (!onlyGet(req, res, writeError)) return;
    const service = new URL(req.url ?? "/", "http://localhost").searchParams.get("service") ?? "";
    const request = create(HealthCheckRequestSchema, { service });
    const call = client.makeUnaryRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (error: grpc.ServiceError | null, response?: HealthCheckResponse) => {
        if (res.writableEnded || res.destroyed) return;
        if (error !== null || response === undefined) {
          const code = error?.code ?? grpc.status.UNKNOWN;
          writeError(
            res,
            isCode(code) ? httpStatusFromCode(code) : 500,
            code,
            failureMessage(error),
          );
          return;
        }
        const json = toJson(HealthCheckResponseSchema, response);
        switch (response.status) {
          case HealthCheckResponse_ServingStatus.SERVING:
            writeJson(res, 200, json);
            return;
          case HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN:
            writeError(res, 404, grpc.status.NOT_FOUND, JSON.stringify(json));
            return;
          default:
            writeError(res, 503, grpc.status.UNAVAILABLE, JSON.stringify(json));
        }
      },
    );
    res.on("close", () => call.cancel());
  };
}

/**
 * What a client sees of a failed health check: the backend's own status
 * message, or, when grpc-js raised the failure on the gateway's side (no
 * response from the backend: its content-type is missing), a plain message
 * instead of grpc-js's detail, which names backend addresses.
 */
function failureMessage(error: grpc.ServiceError | null): string {
  if (error === null) return "no response";
  if (error.metadata?.get("content-type").length > 0) return error.details;
  switch (error.code) {
    case grpc.status.UNAVAILABLE:
      return "backend unavailable";
    case grpc.status.DEADLINE_EXCEEDED:
      return "health check timed out";
    default:
      return "health check failed";
  }
}

/** Options for {@link readyzHandler}. */
export interface ReadyzOptions {
  /** Balanced backends by name; each needs at least one healthy endpoint. */
  backends: Readonly<Record<string, grpc.Channel>> | (() => Readonly<Record<string, grpc.Channel>>);
  /** True once shutdown began (see `gracefulShutdown().draining`): answer 503. */
  isDraining?: () => boolean;
}

/**
 * Readiness: 200 when every backend has at least one connected, healthy
 * endpoint and the process is not draining; 503 otherwise. The JSON body lists
 * each backend's balancer state and endpoints.
 */
export function readyzHandler(options: ReadyzOptions): NodeHandler {
  return (req, res) => {
    if (!onlyGet(req, res, defaultErrorWriter)) return;
    const channels = typeof options.backends === "function" ? options.backends() : options.backends;
    const backends: Record<string, BalancerReadiness> = {};
    let ready = true;
    for (const [name, channel] of Object.entries(channels)) {
      const state = readiness(channel);
      backends[name] = state;
      ready &&= state.ready;
    }
    const draining = options.isDraining?.() ?? false;
    const status = draining ? "draining" : ready ? "ready" : "not ready";
    writeJson(res, ready && !draining ? 200 : 503, { status, backends });
  };
}

/** Liveness: 200 while the event loop answers (and `isAlive`, if given, says so), else 503. */
export function livezHandler(isAlive: () => boolean = () => true): NodeHandler {
  return (req, res) => {
    if (!onlyGet(req, res, defaultErrorWriter)) return;
    const alive = isAlive();
    writeJson(res, alive ? 200 : 503, { status: alive ? "alive" : "dead" });
  };
}
