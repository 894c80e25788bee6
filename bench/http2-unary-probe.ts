/**
 * GetItem calls on raw `node:http2` (no grpc-js), 32 in flight, against a
 * running bench backend: for telling Node's HTTP/2 client's own GC behaviour
 * apart from grpc-js's. Usage, with the Go backend of `bench/setup.sh`:
 *
 *   bench/out/go/backend -listen 127.0.0.1:0 &   # prints its port
 *   node --trace-gc-nvp --import tsx bench/http2-unary-probe.ts <port> [seconds]
 *
 * then compare the `promoted=` and `pause=` of the `gc=s` lines with a row's.
 */
import { connect } from "node:http2";

const [port, seconds = "6"] = process.argv.slice(2);
if (port === undefined) throw new Error("usage: http2-unary-probe.ts <backend port> [seconds]");
const session = connect(`http://127.0.0.1:${port}`);
session.on("error", (err) => {
  console.error(err);
  process.exit(1);
});
session.on("goaway", (code) => console.error(`GOAWAY ${code} after ${calls} calls`));
// A gRPC frame of GetItemRequest { id: "42" }: uncompressed, length 4, field 1 "42".
const frame = Buffer.from([0, 0, 0, 0, 4, 0x0a, 0x02, 0x34, 0x32]);
let calls = 0;
let stopping = false;

function call(): void {
  const stream = session.request({
    ":method": "POST",
    ":path": "/bench.v1.BenchService/GetItem",
    "content-type": "application/grpc",
    te: "trailers",
  });
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("error", () => {});
  stream.on("close", () => {
    calls++;
    if (!stopping && !session.closed && !session.destroyed) call();
  });
  stream.end(frame);
}

const started = Date.now();
for (let i = 0; i < 32; i++) call();
setTimeout(() => {
  stopping = true;
  console.log(`${calls} calls in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  setTimeout(() => process.exit(0), 200);
}, Number(seconds) * 1000);
