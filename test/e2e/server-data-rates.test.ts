// gatewayServer's minimum data rates (Kestrel's MinRequestBodyDataRate and
// MinResponseDataRate) on a real node:http server and raw sockets: a trickled
// body gets a 408 google.rpc.Status after the grace period, a client that
// does not read a complete response loses its connection, and neither bound
// touches a client that keeps up, nor applies when turned off (0).
// Runs in test:integration: waits out grace periods of real timers (about 15 s) and streams 32 MiB.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { after, describe, test } from "node:test";
import { gatewayServer, type ServerLimits } from "../../packages/runtime/src/index.js";
import { parseHttp, rawConnect, trickle } from "../support/raw-socket.js";

const big = Buffer.alloc(32 * 1024 * 1024, 0x61);
const servers: Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** A server whose POSTs read their body and whose GET /big answers 32 MiB at once. */
async function start(limits: ServerLimits): Promise<number> {
  return (await startServer(limits)).port;
}

async function startServer(limits: ServerLimits): Promise<{ server: Server; port: number }> {
  const server = gatewayServer(
    createServer((req, res) => {
      if (req.url === "/big") {
        res.end(big);
        return;
      }
      req.resume();
      req.on("end", () => res.end("{}"));
    }),
    { bodyIdleTimeoutMs: 0, ...limits },
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Resolves true once the server holds no connection (the client may not see a close it does not read up to). */
async function noConnections(server: Server, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await new Promise<number>((resolve) =>
      server.getConnections((_err, n) => resolve(n)),
    );
    if (count === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const rate = { bytesPerSecond: 240, gracePeriodMs: 1000 };

describe("minimum request body data rate", () => {
  test("a body trickled at 4 bytes/s gets a 408 after the grace period", async () => {
    const port = await start({ minRequestBodyDataRate: rate });
    const client = await trickle(port, "/", 1000, 250);
    const ms = await client.closedAfter(15_000);
    assert.ok(ms !== undefined, "still open after 15 s");
    assert.ok(ms >= 900, `closed after ${ms} ms, inside the grace period`);
    const answer = parseHttp(client.conn.received());
    assert.equal(answer?.status, 408);
    assert.equal(JSON.parse(answer?.body ?? "{}").code, 4);
  });

  test("a body at 2 KB/s passes; 0 turns the bound off", async () => {
    for (const limits of [
      { minRequestBodyDataRate: rate },
      { minRequestBodyDataRate: { bytesPerSecond: 0, gracePeriodMs: 0 } },
    ]) {
      const port = await start(limits);
      const conn = await rawConnect(port);
      const size = 5000;
      conn.socket.write(
        `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`,
      );
      // 500 bytes every 250 ms: 2 KB/s for 2.5 s, past the grace period.
      for (let sent = 0; sent < size; sent += 500) {
        conn.socket.write(Buffer.alloc(500, 0x20));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.ok(await conn.closed(10_000), "no answer");
      assert.equal(parseHttp(conn.received())?.status, 200, JSON.stringify(limits));
    }
  });

  test("turned off, a trickled body is not cut", async () => {
    const port = await start({ minRequestBodyDataRate: { bytesPerSecond: 0, gracePeriodMs: 0 } });
    const client = await trickle(port, "/", 1000, 250);
    assert.equal(await client.closedAfter(2500), undefined);
  });
});

describe("minimum response data rate", () => {
  test("a client that reads none of a complete 32 MiB response loses its connection", async () => {
    const { server, port } = await startServer({ minResponseDataRate: rate });
    const conn = await rawConnect(port);
    conn.socket.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    // Read the first bytes (the answer started), then nothing more.
    assert.ok(await conn.until((d) => d.length > 0, 5000), "no answer");
    conn.socket.pause();
    const started = Date.now();
    assert.ok(await noConnections(server, 15_000), "still open after 15 s");
    assert.ok(Date.now() - started >= 500, "closed inside the grace period");
    conn.socket.destroy();
  });

  test("a client that reads gets all of it; 0 turns the bound off", async () => {
    const port = await start({ minResponseDataRate: rate });
    const received = await new Promise<number>((resolve, reject) => {
      let bytes = 0;
      const socket = connect(port, "127.0.0.1", () =>
        socket.write("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      );
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`${bytes} bytes in 30 s`));
      }, 30_000);
      socket.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      socket.on("error", reject);
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(bytes);
      });
    });
    assert.ok(received > big.length, `${received} bytes`);

    const off = await startServer({
      minResponseDataRate: { bytesPerSecond: 0, gracePeriodMs: 0 },
    });
    const idle = await rawConnect(off.port);
    idle.socket.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.ok(await idle.until((d) => d.length > 0, 5000), "no answer");
    idle.socket.pause();
    assert.equal(await noConnections(off.server, 2500), false, "closed although the bound is off");
    idle.socket.destroy();
  });
});
