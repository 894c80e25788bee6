import type { AddressInfo } from "node:net";
import { credentials } from "@grpc/grpc-js";
import express from "express";
import { createNotesServiceRouter, NotesServiceClient } from "./gen/acme/notes/v1/notes_gateway.js";

const backend = process.env.BACKEND ?? "127.0.0.1:50051";
const client = new NotesServiceClient(backend, credentials.createInsecure());
const app = express();
app.use(createNotesServiceRouter(client)); // unmatched requests fall through to next()
const http = app.listen(Number(process.env.PORT ?? 8080), "127.0.0.1", () => {
  console.log(`gateway on http://127.0.0.1:${(http.address() as AddressInfo).port}`);
});
