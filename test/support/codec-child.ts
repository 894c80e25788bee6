// Run as a child process by test/unit/codec-fallback.test.ts (possibly under
// --disallow-code-generation-from-strings): the Library example through a
// real grpc-js server and the gateway, printing the default codec's name and
// the answers as one JSON line.
import { credentials } from "@grpc/grpc-js";
import { compiledCodec, Mux } from "@ts-gateway/runtime";
import {
  addLibraryService,
  LibraryServiceClient,
  registerLibraryService,
} from "../../examples/library/src/gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import { request, startGrpcServer, startHttpServer } from "./servers.js";

const grpcServer = await startGrpcServer((s) => addLibraryService(s, new InMemoryLibrary()));
const client = new LibraryServiceClient(grpcServer.address, credentials.createInsecure());
const mux = new Mux({ notFound: "404" });
registerLibraryService(mux, client);
const http = await startHttpServer(mux.handler);
try {
  const answers = [];
  for (const [method, path, json] of [
    ["POST", "/v1/shelves", { theme: "Poetry" }],
    [
      "POST",
      "/v1/shelves/1/books",
      { title: "Dune", author: "Frank Herbert", genre: "GENRE_FICTION" },
    ],
    ["GET", "/v1/shelves/1/books?page_size=5", undefined],
    ["GET", "/v1/shelves/1/books?page_size=x", undefined],
  ] as const) {
    const res = await request(`${http.url}${path}`, { method, json });
    answers.push({ status: res.status, json: res.json });
  }
  // Timestamps differ between runs: compare their presence only.
  const sameTime = (key: string, value: unknown) => (key.endsWith("Time") ? "<time>" : value);
  console.log(JSON.stringify({ codec: compiledCodec.name, answers }, sameTime));
} finally {
  client.close();
  await http.close();
  await grpcServer.close();
}
