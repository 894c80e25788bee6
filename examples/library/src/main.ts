// `npm start`: the Library example. Starts the in-memory gRPC backend and the
// REST/JSON gateway in front of it, then prints a few requests to try.
// SIGTERM/SIGINT shut down gracefully: /readyz turns 503, in-flight requests
// finish, the channel closes, then the backend goes NOT_SERVING and stops.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { attachWebSocket, gatewayServer, gracefulShutdown, Mux } from "@ts-gateway/runtime";
import { createChannel, idempotentMethods } from "@ts-gateway/runtime/balancer";
import { startBackend } from "./backend.js";
import { edgePolicies } from "./edge.js";
import { createGatewayApp } from "./gateway.js";
import { LibraryServiceClient, libraryServiceRoutes } from "./gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "./library-service.js";
import { observe } from "./observability.js";

const grpcPort = Number(process.env.GRPC_PORT ?? 50051);
const httpPort = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? "127.0.0.1";

const backend = await startBackend(new InMemoryLibrary(), `${host}:${grpcPort}`).catch(
  (err: Error) => {
    console.error(
      `cannot start the gRPC backend on ${host}:${grpcPort}: ${err.message} (set GRPC_PORT)`,
    );
    process.exit(1);
  },
);
// A balanced channel (add endpoints, or use a `dns:///` / `etcd:///` target, to scale out);
// GET/PUT/DELETE routes are retried on UNAVAILABLE.
const channel = createChannel([`${host}:${backend.port}`], {
  name: "library",
  retry: { methods: idempotentMethods(libraryServiceRoutes) },
});
const client = LibraryServiceClient.fromChannel(channel);
// Streaming routes are WebSocket endpoints too.
const mux = new Mux({ webSocket: true });
// CORS, compression, deprecation headers; auth and rate limits by environment (see edge.ts).
for (const middleware of await edgePolicies(process.env)) mux.use(middleware);
// /metrics, JSON access logs on stdout (pino, async), OpenTelemetry spans.
const observability = observe(mux, [channel]);
const gateway = createGatewayApp(client, {
  mux,
  health: { channel, isDraining: () => shutdown.draining },
});
// Server bounds (timeouts, connection cap; README "Limits") and JSON errors for bad requests Node
// itself refuses. The defaults are nginx's; the environment can lower them (the adversarial tests do).
const server = gatewayServer(createServer(gateway), {
  mux,
  headersTimeoutMs: envNumber("HEADERS_TIMEOUT_MS"),
  bodyIdleTimeoutMs: envNumber("BODY_IDLE_TIMEOUT_MS"),
  keepAliveTimeoutMs: envNumber("KEEP_ALIVE_TIMEOUT_MS"),
  maxConnections: envNumber("MAX_CONNECTIONS"),
});
attachWebSocket(server, mux);
// Backend last: the gateway drains against a live backend first.
const backendShutdown = gracefulShutdown({
  grpcServers: [backend.server],
  health: backend.health,
  // Only the gateway calls it, and the gateway has drained by then.
  drainDelayMs: 0,
  signals: [],
});
const shutdown = gracefulShutdown({
  httpServers: [server],
  muxes: [mux],
  channels: [channel],
  // Time for load balancers to see /readyz go 503 before connections are refused.
  drainDelayMs: Number(process.env.DRAIN_DELAY_MS ?? 0),
  gracePeriodMs: envNumber("GRACE_PERIOD_MS") ?? 10_000,
  onShutdown: async (reason) => {
    await backendShutdown.shutdown(reason);
    observability.logger.info({ reason }, "stopped");
    observability.flush();
    console.log(`stopped (${reason})`);
    process.exit(0);
  },
});
server.on("error", (err) => {
  console.error(`cannot start the gateway on ${host}:${httpPort}: ${err.message} (set PORT)`);
  process.exit(1);
});
server.listen(httpPort, host);
server.on("listening", () => {
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  console.log(`gRPC backend  ${host}:${backend.port}  (library.v1.LibraryService)`);
  console.log(`REST gateway  ${url}  (health: /healthz /readyz /livez, metrics: /metrics)`);
  console.log(`API docs      ${url}/docs  (OpenAPI 3.1: ${url}/openapi.json)`);
  console.log("Access log    one JSON line per request on stdout (pino)");
  console.log(`
Try:
  curl -s ${url}/v1/shelves --json '{"theme":"Fiction"}'
  curl -s ${url}/v1/shelves/1/books --json '{"title":"Dune","author":"Frank Herbert","genre":"GENRE_FICTION"}'
  curl -s ${url}/v1/shelves/1/books/1
  curl -s '${url}/v1/shelves/1/books?page_size=5&genre=GENRE_FICTION'
  curl -s -X PATCH ${url}/v1/shelves/1/books/1 --json '{"read":true}'
  curl -s ${url}/v1/shelves --json '{"theme":"Poetry"}'
  curl -s ${url}/v1/shelves/1/books/1:move --json '{"otherShelfName":"shelves/2"}'
  curl -s ${url}/v1/shelves/9
  curl -N ${url}/v1/shelves/1:watch                                   # server streaming, NDJSON
  curl -N -H 'Accept: text/event-stream' ${url}/v1/shelves/1:watch    # the same as SSE
  WebSocket: ws://${host}:${port}/v1/shelves/1:discuss                  # bidi, one JSON message per frame
`);
});

function envNumber(name: string): number | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : Number(value);
}
