// `npm start`: the Library example. Starts the in-memory gRPC backend and the
// REST/JSON gateway in front of it, then prints a few requests to try.
import type { AddressInfo } from "node:net";
import { credentials } from "@grpc/grpc-js";
import { startBackend } from "./backend.js";
import { createGatewayApp } from "./gateway.js";
import { LibraryServiceClient } from "./gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "./library-service.js";

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
const client = new LibraryServiceClient(`${host}:${backend.port}`, credentials.createInsecure());
const server = createGatewayApp(client).listen(httpPort, host);
server.on("error", (err) => {
  console.error(`cannot start the gateway on ${host}:${httpPort}: ${err.message} (set PORT)`);
  process.exit(1);
});
server.on("listening", () => {
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  console.log(`gRPC backend  ${host}:${backend.port}  (library.v1.LibraryService)`);
  console.log(`REST gateway  ${url}`);
  console.log(`
Try:
  curl -s ${url}/v1/shelves --json '{"theme":"Fiction"}'
  curl -s ${url}/v1/shelves/1/books --json '{"title":"Dune","author":"Frank Herbert","genre":"GENRE_FICTION"}'
  curl -s ${url}/v1/shelves/1/books/1
  curl -s '${url}/v1/shelves/1/books?page_size=5&genre=GENRE_FICTION'
  curl -s -X PATCH ${url}/v1/shelves/1/books/1 --json '{"read":true}'
  curl -s ${url}/v1/shelves/1/books/1:move --json '{"otherShelfName":"shelves/2"}'
  curl -s ${url}/v1/shelves/9
`);
});

const stop = () => {
  server.close();
  client.close();
  backend.server.tryShutdown(() => process.exit(0));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
