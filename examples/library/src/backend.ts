import { Server, ServerCredentials } from "@grpc/grpc-js";
import { addHealthService, type HealthService } from "@ts-gateway/runtime/health";
import { addLibraryService, type LibraryServiceApi } from "./gen/library/v1/library_gateway.js";

/**
 * Starts a grpc-js server for a Library implementation, with the standard
 * `grpc.health.v1.Health` service (`health.shutdown()` turns it NOT_SERVING);
 * resolves with the bound port.
 */
export async function startBackend(
  implementation: LibraryServiceApi,
  address = "127.0.0.1:0",
): Promise<{ server: Server; port: number; health: HealthService }> {
  const server = new Server();
  addLibraryService(server, implementation);
  const health = addHealthService(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port, health };
}
