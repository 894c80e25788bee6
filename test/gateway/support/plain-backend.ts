// A gRPC backend that knows nothing of this project: plain @grpc/grpc-js with
// @grpc/proto-loader reading test/proto/gateway/v1/inventory.proto, as a Go or
// Java server would be to the gateway. Run as a child process:
//   node --import tsx plain-backend.ts <port> <name>
// prints "listening <port>" once bound; SIGTERM stops it.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const definition = protoLoader.loadSync("gateway/v1/inventory.proto", {
  includeDirs: [join(root, "test/proto"), join(root, "node_modules/google-proto-files")],
  keepCase: true,
  longs: String,
  defaults: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  gateway: { v1: { InventoryService: { service: grpc.ServiceDefinition } } };
};
const [portArg, name = "plain"] = process.argv.slice(2);

interface Item {
  id: string;
  name: string;
  served_by: string;
  quantity: string;
}

const server = new grpc.Server();
let calls = 0;
server.addService(loaded.gateway.v1.InventoryService.service, {
  GetItem(
    call: grpc.ServerUnaryCall<{ id: string; delay_ms: number }, Item>,
    done: grpc.sendUnaryData<Item>,
  ) {
    calls++;
    const answer = () => {
      // `metadata:<key>`: the values of that request metadata key, as JSON, in `name`.
      if (call.request.id.startsWith("metadata:")) {
        const values = call.metadata.get(call.request.id.slice("metadata:".length));
        done(null, {
          id: call.request.id,
          name: JSON.stringify(values.map(String)),
          served_by: name,
          quantity: "0",
        });
        return;
      }
      if (call.request.id === "missing") {
        done({ code: grpc.status.NOT_FOUND, details: `no item ${call.request.id}` });
        return;
      }
      done(null, {
        id: call.request.id,
        name: `item ${call.request.id}`,
        served_by: name,
        quantity: "9007199254740993",
      });
    };
    if (call.request.delay_ms > 0) setTimeout(answer, call.request.delay_ms);
    else answer();
  },
  CreateItem(call: grpc.ServerUnaryCall<{ item?: Item }, Item>, done: grpc.sendUnaryData<Item>) {
    calls++;
    done(null, { ...(call.request.item as Item), served_by: name });
  },
  WatchItems(call: grpc.ServerWritableStream<{ count: number; interval_ms: number }, Item>) {
    calls++;
    let i = 0;
    const next = () => {
      if (call.cancelled) return;
      if (i >= call.request.count) {
        call.end();
        return;
      }
      call.write({ id: String(++i), name: `item ${i}`, served_by: name, quantity: "1" });
      setTimeout(next, call.request.interval_ms);
    };
    next();
  },
  DeleteItem(call: grpc.ServerUnaryCall<{ id: string }, Item>, done: grpc.sendUnaryData<Item>) {
    calls++;
    done(null, { id: call.request.id, name: "deleted", served_by: name, quantity: "0" });
  },
});
// TLS_DIR (ca.pem, server.pem, server.key): serve TLS; TLS_REQUIRE_CLIENT_CERT=1: mutual TLS.
const tlsDir = process.env.TLS_DIR;
const credentials =
  tlsDir === undefined
    ? grpc.ServerCredentials.createInsecure()
    : grpc.ServerCredentials.createSsl(
        readFileSync(join(tlsDir, "ca.pem")),
        [
          {
            cert_chain: readFileSync(join(tlsDir, "server.pem")),
            private_key: readFileSync(join(tlsDir, "server.key")),
          },
        ],
        process.env.TLS_REQUIRE_CLIENT_CERT === "1",
      );
server.bindAsync(
  `${process.env.BIND_HOST ?? "127.0.0.1"}:${portArg ?? 0}`,
  credentials,
  (err, port) => {
    if (err) {
      console.error(err.message);
      process.exit(1);
    }
    console.log(`listening ${port}`);
  },
);
process.on("SIGTERM", () => {
  console.error(`${name}: ${calls} calls`);
  server.tryShutdown(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
