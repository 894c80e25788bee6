// Backpressure: a fast backend streaming 200 MiB to a client that does not
// read. The gateway must stop pulling from the gRPC stream (the backend's
// producer pauses far before the end: a structural check) and its heap must
// not grow with the stream. Then the client reads everything, to show the
// stream was paused, not broken.
// Runs in test:integration: hundreds of MiB streamed to a client that does not read.
import assert from "node:assert/strict";
import { get, type IncomingMessage } from "node:http";
import { after, before, describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type BackendMode, type StreamGateway, startStreamGateway } from "./stream-fixture.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const chunkSize = 64 * 1024;
const count = 3200; // 200 MiB of data
const MiB = 1024 * 1024;

/** Heap and buffer memory after a full collection. */
function memory(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Resolves once `read()` returned the same value `times` checks in a row, `everyMs` apart. */
async function settled(read: () => number, times = 5, everyMs = 100): Promise<number> {
  let last = -1;
  let same = 0;
  for (;;) {
    const now = read();
    same = now === last ? same + 1 : 0;
    last = now;
    if (same >= times) return now;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

for (const mode of ["remote", "local"] as BackendMode[]) {
  describe(`backpressure (${mode} backend)`, () => {
    let gw: StreamGateway;
    before(async () => {
      gw = await startStreamGateway(mode);
    });
    after(() => gw.close());

    test("a client that does not read pauses the backend; memory stays bounded", async () => {
      const baseline = memory();
      const res = await new Promise<IncomingMessage>((resolve, reject) =>
        get(`${gw.url}/v1/flood?count=${count}&size=${chunkSize}`, resolve).on("error", reject),
      );
      assert.equal(res.statusCode, 200);
      res.pause();
      const produced = await settled(() => gw.impl.produced);
      // Socket and HTTP/2 buffers hold a few MiB: far from the 200 MiB total.
      assert.ok(produced < count / 4, `backend produced ${produced} of ${count} chunks`);
      const grown = memory() - baseline;
      assert.ok(grown < 50 * MiB, `memory grew by ${(grown / MiB).toFixed(1)} MiB`);

      let lines = 0;
      let tail = "";
      res.setEncoding("utf8");
      for await (const text of res) {
        const parts = (tail + (text as string)).split("\n");
        tail = parts.pop() ?? "";
        lines += parts.length;
      }
      assert.equal(lines, count);
      assert.equal(gw.impl.produced, count);
      const after = memory() - baseline;
      assert.ok(after < 50 * MiB, `memory grew by ${(after / MiB).toFixed(1)} MiB`);
    });
  });
}
