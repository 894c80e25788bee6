// The example's Library backend as a child process (in-memory implementation,
// grpc.health.v1): prints "listening <port>"; SIGTERM stops it.
import { startBackend } from "../../../examples/library/src/backend.js";
import { InMemoryLibrary } from "../../../examples/library/src/library-service.js";

const backend = await startBackend(new InMemoryLibrary(), "127.0.0.1:0");
process.stdout.write(`listening ${backend.port}\n`);
process.on("SIGTERM", () => {
  backend.server.tryShutdown(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
