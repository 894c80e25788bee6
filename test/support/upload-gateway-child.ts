// A gateway alone in its process, in front of the Library backend at
// BACKEND (host:port): the library's generated routes on a Mux behind
// gatewayServer (BODY_IDLE_TIMEOUT_MS), node:http, no Express. Prints
// `listening <port>`, and `rss <bytes>` on SIGUSR2, so a test can watch the
// memory of the gateway process alone while uploads stream through it.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { credentials } from "@grpc/grpc-js";
import { gatewayServer, Mux } from "@ts-gateway/runtime";
import {
  LibraryServiceClient,
  registerLibraryService,
} from "../../examples/library/src/gen/library/v1/library_gateway.js";

const backend = process.env.BACKEND;
if (backend === undefined) throw new Error("set BACKEND=host:port");
const client = new LibraryServiceClient(backend, credentials.createInsecure());
const mux = new Mux({
  notFound: "404",
  maxRequestBytes: Number(process.env.MAX_REQUEST_BYTES ?? 4 * 1024 * 1024),
  multipart: { maxParts: Number(process.env.MAX_PARTS ?? 1000) },
});
registerLibraryService(mux, client);
const server = gatewayServer(createServer(mux.handler), {
  mux,
  bodyIdleTimeoutMs: Number(process.env.BODY_IDLE_TIMEOUT_MS ?? 60_000),
});
process.on("SIGUSR2", () => {
  globalThis.gc?.();
  console.log(`rss ${process.memoryUsage().rss}`);
});
server.listen(0, "127.0.0.1", () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
