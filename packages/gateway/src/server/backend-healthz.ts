import type * as grpc from "@grpc/grpc-js";
import { Code, HttpStatusError, type Mux } from "@ts-gateway/runtime";
import { readiness } from "@ts-gateway/runtime/balancer";
import { mountHealth } from "@ts-gateway/runtime/health";

/** What `/healthz` checks of a backend (`backends.<name>.health`). */
export type BackendHealth = "grpc" | "connectivity" | "none";

/** Options for {@link mountGatewayHealth}. */
export interface GatewayHealthOptions {
  /** The balanced backends by name, and what `/healthz` checks of each. */
  readonly backends: ReadonlyMap<string, { channel: grpc.Channel; health: BackendHealth }>;
  readonly isDraining: () => boolean;
  readonly paths?: { healthz?: string | false; readyz?: string | false; livez?: string | false };
}

/**
 * `/readyz` and `/livez` as the runtime serves them, and `/healthz` for the
 * only backend by its `health` choice: `grpc` (default) calls its
 * `grpc.health.v1.Health/Check` (a backend without the service gets a 503
 * saying so), `connectivity` answers from the balancer (200 while an endpoint
 * is connected, for backends without the health service, most Python ones),
 * `none` answers 200 without asking. With several backends there is no
 * `/healthz`; `/readyz` covers them all.
 */
export function mountGatewayHealth(mux: Mux, options: GatewayHealthOptions): void {
  const only = options.backends.size === 1 ? [...options.backends][0] : undefined;
  const paths = options.paths ?? {};
  const grpcCheck = only !== undefined && only[1].health === "grpc";
  mountHealth(mux, {
    ...(grpcCheck ? { channel: only[1].channel } : {}),
    backends: Object.fromEntries([...options.backends].map(([name, b]) => [name, b.channel])),
    isDraining: options.isDraining,
    paths,
  });
  const template = paths.healthz ?? "/healthz";
  if (only === undefined || grpcCheck || template === false) return;
  const [name, { channel, health }] = only;
  const handler = (res: import("node:http").ServerResponse): void => {
    if (health === "connectivity" && !readiness(channel).ready) {
      throw new HttpStatusError(`backend ${name} has no connected endpoint`, Code.Unavailable, 503);
    }
    const body = JSON.stringify({ status: "SERVING", check: health });
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    res.end(res.req.method === "HEAD" ? undefined : body);
  };
  for (const method of ["GET", "HEAD"])
    mux.handlePath(method, template, (_req, res) => handler(res));
}
