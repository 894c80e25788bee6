import { Server, ServerCredentials } from "@grpc/grpc-js";
import { addNotesService } from "./gen/acme/notes/v1/notes_gateway.js";
import { Notes } from "./notes.js";

const server = new Server();
addNotesService(server, new Notes());
server.bindAsync(
  `127.0.0.1:${process.env.GRPC_PORT ?? 50051}`,
  ServerCredentials.createInsecure(),
  (err, port) => {
    if (err) throw err;
    console.log(`gRPC on 127.0.0.1:${port}`);
  },
);
