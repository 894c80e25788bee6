/**
 * The one grpc-js backend every gateway row calls: BenchService on a loopback
 * port, announced over IPC. Run by bench/run.ts as its own process.
 */
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { announce } from "./child-ipc.js";
import { addBenchService } from "./gen/bench/v1/bench_gateway.js";
import { BenchImplementation } from "./service.js";

const server = new Server();
addBenchService(server, new BenchImplementation());
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  announce(port);
});
