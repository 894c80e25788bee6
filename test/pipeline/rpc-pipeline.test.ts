// Connect, gRPC-Web and gRPC calls pass through the same pipeline as REST
// calls: authentication refuses them in the caller's own protocol, a rate
// limit answers resource_exhausted, CORS answers a browser's preflight and
// exposes the status headers, and the metrics and access log label each call
// with its protocol. Both backend modes, connect-es clients.
import assert from "node:assert/strict";
import { createServer as createH2Server, type Http2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  Code as ConnectCode,
  ConnectError,
  createClient,
  type Transport,
} from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { accessLog, type Middleware } from "@ts-gateway/runtime";
import { gatewayMetrics } from "@ts-gateway/runtime/metrics";
import { authenticate, cors, unauthenticated } from "@ts-gateway/runtime/policy";
import { rateLimit } from "@ts-gateway/runtime/rate-limit";
import { StreamService } from "../gen/streaming/v1/streaming_pb.js";
import { modes, type PipelineGateway, startPipelineGateway } from "./pipeline-fixture.js";

const protocols = ["rest", "connect", "grpc-web", "grpc"] as const;

/** Calls with `x-api-key: good` pass; others are refused. */
const apiKey = authenticate({
  metadataKeys: ["x-caller"],
  authenticator: (call) => {
    const key = call.headers["x-api-key"];
    if (key === undefined) return undefined;
    if (key !== "good") throw unauthenticated("bad API key", "ApiKey");
    return { metadata: { "x-caller": "tester" } };
  },
});

interface Logged {
  protocol?: string;
  transport?: string;
  rpc?: string;
  grpc_code?: string;
}

for (const mode of modes) {
  describe(`RPC protocols through the pipeline, ${mode}`, { timeout: 120_000 }, () => {
    let g: PipelineGateway;
    let h2url: string;
    let closeH2: () => Promise<void>;
    const lines: Logged[] = [];
    const metrics = gatewayMetrics({ collectDefaultMetrics: false });
    const logger = {
      info: (line: Logged) => lines.push(line),
      error: (line: Logged) => lines.push(line),
    };
    before(async () => {
      const middlewares: Middleware[] = [
        accessLog({ logger: logger as never }),
        metrics.middleware,
        cors({ origins: ["https://app.example"] }),
        apiKey,
        rateLimit({
          points: 1000,
          durationSec: 60,
          routes: [
            {
              match: { selector: "streaming.v1.StreamService.Sum" },
              options: { points: 1, durationSec: 60 },
            },
          ],
        }),
      ];
      g = await startPipelineGateway(mode, middlewares, { protocols });
      const h2 = createH2Server(g.mux.handler as never);
      const sessions = new Set<Http2Session>();
      h2.on("session", (s) => {
        sessions.add(s);
        s.once("close", () => sessions.delete(s));
      });
      await new Promise<void>((r) => h2.listen(0, "127.0.0.1", r));
      h2url = `http://127.0.0.1:${(h2.address() as AddressInfo).port}`;
      closeH2 = async () => {
        for (const s of sessions) s.destroy();
        await new Promise<void>((r) => h2.close(() => r()));
      };
    });
    after(async () => {
      await closeH2();
      await g.close();
    });

    const transports = (): Array<{ protocol: string; transport: Transport }> => [
      {
        protocol: "connect",
        transport: createConnectTransport({ baseUrl: g.url, httpVersion: "1.1" }),
      },
      {
        protocol: "grpc-web",
        transport: createGrpcWebTransport({ baseUrl: g.url, httpVersion: "1.1" }),
      },
      { protocol: "grpc", transport: createGrpcTransport({ baseUrl: h2url }) },
    ];

    test("authentication refuses a call in its own protocol, and admits a good one with its identity", async () => {
      for (const { protocol, transport } of transports()) {
        const client = createClient(StreamService, transport);
        const refused = await (async () => {
          for await (const _ of client.count({ n: 1 }, { headers: { "x-api-key": "bad" } })) {
            // no message may come
          }
        })().then(
          () => assert.fail(`${protocol}: admitted`),
          (e: unknown) => ConnectError.from(e),
        );
        assert.equal(refused.code, ConnectCode.Unauthenticated, protocol);
        assert.equal(refused.rawMessage, "bad API key", protocol);
        const before = g.backendCalls.length;
        const values: number[] = [];
        for await (const m of client.count({ n: 2 }, { headers: { "x-api-key": "good" } })) {
          values.push(m.value);
        }
        assert.deepEqual(values, [1, 2], protocol);
        assert.deepEqual(g.backendCalls[before]?.metadata["x-caller"], ["tester"], protocol);
      }
    });

    test("a rate limit answers resource_exhausted in each protocol", async () => {
      const results: number[] = [];
      for (const { transport } of transports()) {
        const client = createClient(StreamService, transport);
        // Client streaming needs full duplex only for gRPC and bidi; a finished request stream works over HTTP/1.1.
        const err = await client
          .sum(
            (async function* () {
              yield { label: "x", value: 1 };
            })(),
            { headers: { "x-api-key": "good" } },
          )
          .then(
            () => undefined,
            (e: unknown) => ConnectError.from(e),
          );
        results.push(err?.code ?? 0);
      }
      // One point per minute: the first call passes, every later one is refused.
      assert.deepEqual(results, [0, ConnectCode.ResourceExhausted, ConnectCode.ResourceExhausted]);
    });

    test("CORS: a preflight on an RPC path is answered, and a call exposes its status headers", async () => {
      const preflight = await fetch(`${g.url}/streaming.v1.StreamService/Count`, {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,connect-protocol-version,x-api-key",
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get("access-control-allow-origin"), "https://app.example");
      assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
      assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /x-api-key/);
      const res = await fetch(`${g.url}/streaming.v1.StreamService/Count`, {
        method: "POST",
        headers: {
          origin: "https://app.example",
          "content-type": "application/grpc-web+proto",
          "x-api-key": "good",
        },
        body: new Uint8Array([0, 0, 0, 0, 2, 8, 1]),
      });
      await res.arrayBuffer();
      const exposed = (res.headers.get("access-control-expose-headers") ?? "").toLowerCase();
      assert.match(exposed, /grpc-status/);
      assert.match(exposed, /grpc-message/);
      assert.match(exposed, /x-count/);
    });

    test("metrics and the access log carry the protocol", async () => {
      lines.length = 0;
      for (const { transport } of transports()) {
        const client = createClient(StreamService, transport);
        for await (const _ of client.count({ n: 1 }, { headers: { "x-api-key": "good" } })) {
          // drain
        }
      }
      const rest = await fetch(`${g.url}/v1/count/1`, { headers: { "x-api-key": "good" } });
      await rest.text();
      const protocolsLogged = lines.map((l) => `${l.protocol} ${l.transport} ${l.grpc_code}`);
      assert.deepEqual(protocolsLogged.sort(), [
        "connect rpc-stream OK",
        "grpc rpc-stream OK",
        "grpc-web rpc-stream OK",
        "rest ndjson OK",
      ]);
      const text = await metrics.registry.metrics();
      for (const protocol of ["connect", "grpc-web", "grpc", "rest"]) {
        assert.match(
          text,
          new RegExp(
            `grpc_gateway_requests_total\\{[^\\n]*method="Count"[^\\n]*protocol="${protocol}"[^\\n]*grpc_code="OK"\\} \\d`,
          ),
          protocol,
        );
      }
      assert.match(
        text,
        /grpc_gateway_requests_total\{[^}]*protocol="grpc"[^}]*grpc_code="UNAUTHENTICATED"\}/,
      );
    });
  });
}
