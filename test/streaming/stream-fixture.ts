// The streaming tests' service and gateway: a recording implementation of
// streaming.v1.StreamService, served either through a real grpc-js backend and
// the generated client ("remote") or in-process ("local"), behind a Mux on a
// node:http server with WebSocket upgrades attached.
import { EventEmitter } from "node:events";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { attachWebSocket } from "../../packages/runtime/src/adapters/attach-websocket.js";
import { type CallContext, Code, RpcError } from "../../packages/runtime/src/index.js";
import { Mux } from "../../packages/runtime/src/mux/mux.js";
import type { MuxOptions } from "../../packages/runtime/src/mux/mux-options.js";
import {
  addStreamService,
  type StreamServiceApi,
  StreamServiceClient,
  streamServiceRoutes,
} from "../gen/streaming/v1/streaming_gateway.js";
import type {
  CountRequest,
  DownloadRequest,
  EchoRequest,
  FloodRequest,
  SumRequest,
} from "../gen/streaming/v1/streaming_pb.js";
import { startGrpcServer, startHttpServer } from "../support/servers.js";

/** Records what the backend saw: messages as they arrive, cancellations, production. */
export class RecordingStreams implements StreamServiceApi {
  /** Flood chunks handed to the transport so far. */
  produced = 0;
  /** Methods whose call context signal fired. */
  readonly cancelled: string[] = [];
  /** Request messages of sum/echo, in arrival order. */
  readonly received: Array<SumRequest | EchoRequest> = [];
  /** The `authorization` metadata of each call, in call order. */
  readonly authorization: Array<string | undefined> = [];
  /** Emits "received" per request message, "cancelled" per cancellation. */
  readonly events = new EventEmitter();

  #watch(name: string, context: CallContext): void {
    this.authorization.push(context.metadata.get("authorization")[0]?.toString());
    context.signal.addEventListener("abort", () => {
      this.cancelled.push(name);
      this.events.emit("cancelled", name);
    });
  }

  #receive(message: SumRequest | EchoRequest): void {
    this.received.push(message);
    this.events.emit("received", message);
  }

  async *count(request: CountRequest, context: CallContext) {
    this.#watch("count", context);
    context.responseMetadata.set("x-count", String(request.n));
    for (let i = 1; i <= request.n; i++) yield { value: i };
    if (request.fail) throw new RpcError(`failed after ${request.n}`, Code.FailedPrecondition);
    if (request.hang) await aborted(context.signal);
  }

  async *flood(request: FloodRequest, context: CallContext) {
    this.#watch("flood", context);
    const data = "x".repeat(request.size);
    for (let i = 0; i < request.count; i++) {
      if (context.signal.aborted) return;
      this.produced++;
      yield { index: i, data };
    }
  }

  async *download(request: DownloadRequest, context: CallContext) {
    this.#watch("download", context);
    yield { contentType: "text/plain", data: Buffer.from("hello ") };
    if (request.fail) throw new RpcError("disk on fire", Code.DataLoss);
    yield { data: Buffer.from("world") };
  }

  async sum(requests: AsyncIterable<SumRequest>, context: CallContext) {
    this.#watch("sum", context);
    let total = 0;
    let count = 0;
    let label = "";
    for await (const r of requests) {
      this.#receive(r);
      label = r.label;
      total += r.value;
      count++;
    }
    return { label, total, count };
  }

  async *echo(requests: AsyncIterable<EchoRequest>, context: CallContext) {
    this.#watch("echo", context);
    let seq = 0;
    for await (const r of requests) {
      this.#receive(r);
      if (r.fail) throw new RpcError(`"${r.text}" failed`, Code.Aborted);
      yield { room: r.room, text: r.text.toUpperCase(), seq: ++seq };
    }
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** How the gateway reaches the implementation. */
export type BackendMode = "remote" | "local";

export interface StreamGateway {
  readonly impl: RecordingStreams;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the implementation (behind grpc-js when remote) and the gateway on loopback. */
export async function startStreamGateway(
  mode: BackendMode,
  options: MuxOptions = {},
): Promise<StreamGateway> {
  const impl = new RecordingStreams();
  const grpc =
    mode === "remote" ? await startGrpcServer((s) => addStreamService(s, impl)) : undefined;
  const client =
    grpc === undefined
      ? undefined
      : new StreamServiceClient(grpc.address, credentials.createInsecure());
  const mux = new Mux({ webSocket: true, ...options });
  mux.register(streamServiceRoutes, client ?? impl);
  const http = await startHttpServer(mux.handler);
  attachWebSocket(http.server, mux);
  return {
    impl,
    url: http.url,
    port: Number(new URL(http.url).port),
    close: async () => {
      await http.close();
      client?.close();
      await grpc?.close();
    },
  };
}

/** An HTTP request whose body the test writes piece by piece; resolves the response once its headers arrive. */
export function openRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): {
  write(text: string): void;
  end(text?: string): void;
  destroy(): void;
  response: Promise<IncomingMessage>;
} {
  const req = httpRequest(url, { method: init.method ?? "POST", headers: init.headers ?? {} });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on("response", resolve);
    req.on("error", reject);
  });
  req.flushHeaders();
  return {
    write: (text) => req.write(text),
    end: (text) => (text === undefined ? req.end() : req.end(text)),
    destroy: () => req.destroy(),
    response,
  };
}

/** Reads a whole response body as text. */
export async function readAll(res: IncomingMessage): Promise<string> {
  let text = "";
  res.setEncoding("utf8");
  for await (const chunk of res) text += chunk;
  return text;
}
