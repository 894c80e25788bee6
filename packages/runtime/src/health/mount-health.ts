import type * as grpc from "@grpc/grpc-js";
import { backendName } from "../balancer/balancer.js";
import { HttpStatusError } from "../core/http-status-error.js";
import { Code, isCode } from "../core/rpc-error.js";
import type { Mux } from "../mux/mux.js";
import { writeError } from "../wire/response-writer.js";
import {
  type HealthErrorWriter,
  healthzHandler,
  livezHandler,
  type NodeHandler,
  readyzHandler,
} from "./health-endpoints.js";

/** Where {@link mountHealth} serves each endpoint; `false` leaves one out. */
export interface HealthPaths {
  /** grpc-gateway's health check (backend `grpc.health.v1.Health/Check`); default `/healthz`. */
  healthz?: string | false;
  /** Readiness from the balancer (and draining); default `/readyz`. */
  readyz?: string | false;
  /** Liveness; default `/livez`. */
  livez?: string | false;
}

/** Options for {@link mountHealth}. */
export interface MountHealthOptions {
  /** The backend `/healthz` checks; with no `backends`, also the one `/readyz` watches. */
  channel?: grpc.Channel;
  /**
   * Balanced backends by name for `/readyz` (each needs a healthy endpoint),
   * or a function returning them; default `{ [backendName(channel)]: channel }`.
   */
  backends?:
    | Readonly<Record<string, grpc.Channel>>
    | (() => Readonly<Record<string, grpc.Channel>>);
  /** Paths (HttpRule templates); defaults `/healthz`, `/readyz`, `/livez`. */
  paths?: HealthPaths;
  /** True once shutdown began (`gracefulShutdown().draining`): `/readyz` answers 503. */
  isDraining?: () => boolean;
  /** `/livez` answers 503 when this returns false. */
  isAlive?: () => boolean;
  /** Deadline of the `/healthz` Check call; default 2000 ms. */
  healthzTimeoutMs?: number;
}

/**
 * Serves the health endpoints on the mux, for GET and HEAD: `/healthz` (the
 * backend's `grpc.health.v1.Health/Check`, `?service=` forwarded, with
 * grpc-gateway's status mapping), `/readyz` (200 while every backend has a
 * healthy endpoint and the process is not draining, 503 otherwise, with a JSON
 * report) and `/livez`. `/healthz` errors are written by the mux's error writer
 * (its `errorHandler`, or the `google.rpc.Status` body), like every other
 * gateway error. `/healthz` is left out without a `channel`, `/readyz` without
 * backends.
 */
export function mountHealth(mux: Mux, options: MountHealthOptions = {}): Mux {
  const paths = options.paths ?? {};
  const { channel } = options;
  const mount = (path: string | false | undefined, fallback: string, handler: NodeHandler) => {
    const template = path ?? fallback;
    if (template === false) return;
    for (const method of ["GET", "HEAD"])
      mux.handlePath(method, template, (req, res) => handler(req, res));
  };
  if (channel !== undefined) {
    mount(
      paths.healthz,
      "/healthz",
      healthzHandler(channel, {
        errorWriter: muxErrorWriter(mux),
        ...(options.healthzTimeoutMs === undefined ? {} : { timeoutMs: options.healthzTimeoutMs }),
      }),
    );
  }
  const backends =
    options.backends ?? (channel === undefined ? undefined : { [backendName(channel)]: channel });
  if (backends !== undefined) {
    mount(
      paths.readyz,
      "/readyz",
      readyzHandler({
        backends,
        ...(options.isDraining === undefined ? {} : { isDraining: options.isDraining }),
      }),
    );
  }
  mount(paths.livez, "/livez", livezHandler(options.isAlive));
  return mux;
}

/** A health error writer that answers like the mux answers any failed call. */
function muxErrorWriter(mux: Mux): HealthErrorWriter {
  return (res, httpStatus, code, message) => {
    const error = new HttpStatusError(message, isCode(code) ? code : Code.Unknown, httpStatus);
    writeError(error, res.req, res, mux.options.errors);
  };
}
