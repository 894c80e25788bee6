import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import { LibraryService } from "../../examples/library/src/gen/library/v1/library_pb.js";
import type { CallContext, CancelSource } from "../../packages/runtime/src/core/call-context.js";
import { Code, RpcError } from "../../packages/runtime/src/core/rpc-error.js";
import { GrpcClient } from "../../packages/runtime/src/grpc/grpc-client.js";
import {
  createServiceDefinition,
  grpcHandlers,
} from "../../packages/runtime/src/grpc/grpc-server.js";
import { resolveMuxOptions } from "../../packages/runtime/src/mux/mux-options.js";
import { gatewayContext } from "../../packages/runtime/src/pipeline/gateway-context.js";
import { startGrpcServer } from "../support/servers.js";
import { eventually } from "../support/wait.js";

function fakeExchange(): { req: IncomingMessage; res: ServerResponse & EventEmitter } {
  const req = { headers: {}, socket: { remoteAddress: "127.0.0.1" } } as unknown as IncomingMessage;
  const res = Object.assign(new EventEmitter(), { writableFinished: false });
  return { req, res: res as unknown as ServerResponse & EventEmitter };
}

function context(req: IncomingMessage, res: ServerResponse): CallContext & CancelSource {
  const ctx = gatewayContext(req, res, resolveMuxOptions().setup);
  assert.ok(!(ctx instanceof RpcError));
  return ctx;
}

const cases: Array<{ name: string; run(): void }> = [
  {
    name: "a signal read before the client leaves is aborted with CANCELLED",
    run() {
      const { req, res } = fakeExchange();
      const ctx = context(req, res);
      const signal = ctx.signal;
      assert.equal(signal.aborted, false);
      res.emit("close");
      assert.equal(signal.aborted, true);
      assert.equal((signal.reason as RpcError).code, Code.Cancelled);
    },
  },
  {
    name: "a signal read after the client left is already aborted",
    run() {
      const { req, res } = fakeExchange();
      const ctx = context(req, res);
      res.emit("close");
      assert.equal(ctx.signal.aborted, true);
    },
  },
  {
    name: "a finished response does not cancel",
    run() {
      const { req, res } = fakeExchange();
      const ctx = context(req, res);
      let called = 0;
      ctx.onCancel(() => called++);
      Object.assign(res, { writableFinished: true });
      res.emit("close");
      assert.equal(called, 0);
      assert.equal(ctx.signal.aborted, false);
    },
  },
  {
    name: "cancel hooks run once; disposed ones and late ones behave",
    run() {
      const { req, res } = fakeExchange();
      const ctx = context(req, res);
      const calls: string[] = [];
      ctx.onCancel(() => calls.push("a"));
      const dispose = ctx.onCancel(() => calls.push("b"));
      dispose();
      res.emit("close");
      res.emit("close");
      ctx.onCancel(() => calls.push("late"));
      assert.deepEqual(calls, ["a", "late"]);
    },
  },
];

for (const c of cases) test(c.name, c.run);

test("a gateway context passed as call options cancels the gRPC call when the client leaves", {
  timeout: 10_000,
}, async () => {
  let backendSignal: AbortSignal | undefined;
  let markStarted = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const server = await startGrpcServer((s) =>
    s.addService(
      createServiceDefinition(LibraryService),
      grpcHandlers(LibraryService, {
        getShelf: (_req: unknown, ctx: CallContext) =>
          new Promise((_resolve, reject) => {
            backendSignal = ctx.signal;
            markStarted();
            ctx.signal.addEventListener("abort", () => reject(new Error("cancelled")));
          }),
      } as never),
    ),
  );
  const client = new GrpcClient(server.address, credentials.createInsecure());
  try {
    const { req, res } = fakeExchange();
    const ctx = context(req, res);
    const call = client.unary(LibraryService.method.getShelf, { name: "shelves/1" }, ctx);
    await started;
    res.emit("close");
    await assert.rejects(call, (err: RpcError) => err.code === Code.Cancelled);
    await eventually(() => backendSignal?.aborted, 5000, "the backend's signal aborted");
  } finally {
    client.close();
    await server.close();
  }
});
