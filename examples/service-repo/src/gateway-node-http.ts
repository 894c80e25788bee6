import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { NotesServiceClient, registerNotesService } from "./gen/acme/notes/v1/notes_gateway.js";

// The same gateway without Express: one Mux (for any number of services) on node:http.
const backend = process.env.BACKEND ?? "127.0.0.1:50051";
const mux = new Mux();
registerNotesService(mux, new NotesServiceClient(backend, credentials.createInsecure()));
const http = createServer(mux.handler).listen(Number(process.env.PORT ?? 8080), "127.0.0.1", () => {
  console.log(`gateway on http://127.0.0.1:${(http.address() as AddressInfo).port}`);
});
