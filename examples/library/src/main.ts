// `npm start`: the Library example. Starts the in-memory gRPC backend and the
// REST/JSON gateway in front of it, then prints a few requests to try.
// SIGTERM/SIGINT shut down gracefully: /readyz turns 503, in-flight requests
// finish, the channel closes, then the backend goes NOT_SERVING and stops.
import { createServer } from "node:http";
import { createServer as createH2cServer } from "node:http2";
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
// Native gRPC needs HTTP/2: the same mux on a cleartext HTTP/2 (h2c) port beside the HTTP/1.1 one.
const h2cPort = Number(process.env.H2C_PORT ?? (httpPort === 0 ? 0 : httpPort + 1));
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
// Streaming routes are WebSocket endpoints too; every method is also served over Connect,
// gRPC-Web and gRPC at /library.v1.LibraryService/<Method>, through the same middlewares;
// requests breaking the proto's buf.validate rules get a 400 before the backend is called.
const mux = new Mux({
  webSocket: true,
  validate: true,
  protocols: ["rest", "connect", "grpc-web", "grpc"],
});
// /metrics, JSON access logs on stdout (pino, async), OpenTelemetry spans. Observers run
// before every policy whatever the order of `use`, so they see refused calls (401, 429) too.
const observability = observe(mux, [channel]);
// CORS, compression, deprecation headers; auth and rate limits by environment (see edge.ts).
for (const middleware of await edgePolicies(process.env)) mux.use(middleware);
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
const h2c = createH2cServer(mux.handler as never);
h2c.on("sessionError", () => {});
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
    h2c.close();
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
h2c.on("error", (err) => {
  console.error(
    `cannot start the gateway's h2c port on ${host}:${h2cPort}: ${err.message} (set H2C_PORT)`,
  );
  process.exit(1);
});
await new Promise<void>((resolve) => h2c.listen(h2cPort, host, resolve));
server.listen(httpPort, host);
server.on("listening", () => {
  const { port } = server.address() as AddressInfo;
  const grpcGatewayPort = (h2c.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  console.log(`gRPC backend  ${host}:${backend.port}  (library.v1.LibraryService)`);
  console.log(`REST gateway  ${url}  (health: /healthz /readyz /livez, metrics: /metrics)`);
  console.log(`API docs      ${url}/docs  (OpenAPI 3.1: ${url}/openapi.json)`);
  console.log(`RPC           ${url}/library.v1.LibraryService/<Method>  (Connect, gRPC-Web)`);
  console.log(`gRPC (h2c)    ${host}:${grpcGatewayPort}  (gRPC, and everything above over HTTP/2)`);
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
  curl -s ${url}/library.v1.LibraryService/ListShelves --json '{}'     # Connect unary, JSON
  npx buf curl --schema examples/library/proto --protocol grpc --http2-prior-knowledge http://${host}:${grpcGatewayPort}/library.v1.LibraryService/ListShelves
`);
});

function envNumber(name: string): number | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : Number(value);
}
