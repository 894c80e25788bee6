// The pipeline suite's gateway: one mux serving a unary service (errors.v1)
// and a streaming one (streaming.v1: server, client and bidi streams), over
// HTTP and WebSocket, in front of real implementations reached either through
// a real grpc-js server and the generated clients ("remote") or in-process
// ("local"). Each implementation call records the metadata it received.
import { credentials } from "@grpc/grpc-js";
import {
  attachWebSocket,
  type CallContext,
  type Middleware,
  Mux,
  type MuxOptions,
} from "@ts-gateway/runtime";
import { RecordingService } from "../errors/error-fixture.js";
import {
  addErrorService,
  type ErrorServiceApi,
  ErrorServiceClient,
  registerErrorService,
} from "../gen/errors/v1/errors_gateway.js";
import {
  addStreamService,
  registerStreamService,
  type StreamServiceApi,
  StreamServiceClient,
} from "../gen/streaming/v1/streaming_gateway.js";
import { RecordingStreams } from "../streaming/stream-fixture.js";
import { type GrpcTestServer, startGrpcServer, startHttpServer } from "../support/servers.js";

export type Mode = "remote" | "local";
export const modes: readonly Mode[] = ["remote", "local"];

/** One backend call: the method and the metadata it received. */
export interface BackendCall {
  readonly method: string;
  readonly metadata: Record<string, string[]>;
}

export interface PipelineGateway {
  readonly url: string;
  readonly wsUrl: string;
  readonly mux: Mux;
  /** The grpc-js server's `host:port` ("remote"); undefined in-process. */
  readonly backendAddress: string | undefined;
  /** Backend calls, in order (as the implementation saw them, behind gRPC when remote). */
  readonly backendCalls: BackendCall[];
  close(): Promise<void>;
}

/** Wraps an implementation so each call records its metadata. */
function recording<T extends object>(impl: T, calls: BackendCall[]): T {
  return new Proxy(impl, {
    get(target, key) {
      const fn = Reflect.get(target, key) as unknown;
      if (typeof fn !== "function") return fn;
      return (request: unknown, context: CallContext) => {
        const metadata: Record<string, string[]> = {};
        for (const k of Object.keys(context.metadata.getMap())) {
          metadata[k] = context.metadata.get(k).map(String);
        }
        calls.push({ method: String(key), metadata });
        return fn.call(target, request, context);
      };
    },
  });
}

/**
 * Starts the gateway with `middlewares` installed (in order); `wrapBackend`
 * wraps each implementation (a tracing test starts the backend's spans there).
 */
export async function startPipelineGateway(
  mode: Mode,
  middlewares: readonly Middleware[],
  options: MuxOptions = {},
  wrapBackend: <T extends object>(impl: T) => T = (impl) => impl,
): Promise<PipelineGateway> {
  const backendCalls: BackendCall[] = [];
  const unary = recording(wrapBackend(new RecordingService()), backendCalls);
  const streams = recording(wrapBackend(new RecordingStreams()), backendCalls);
  let grpc: GrpcTestServer | undefined;
  let unaryBackend: ErrorServiceApi = unary;
  let streamBackend: StreamServiceApi = streams;
  const clients: Array<{ close(): void }> = [];
  if (mode === "remote") {
    grpc = await startGrpcServer((server) => {
      addErrorService(server, unary);
      addStreamService(server, streams);
    });
    const unaryClient = new ErrorServiceClient(grpc.address, credentials.createInsecure());
    const streamClient = new StreamServiceClient(grpc.address, credentials.createInsecure());
    clients.push(unaryClient, streamClient);
    unaryBackend = unaryClient;
    streamBackend = streamClient;
  }
  const mux = new Mux({ webSocket: true, notFound: "404", ...options });
  registerErrorService(mux, unaryBackend);
  registerStreamService(mux, streamBackend);
  for (const middleware of middlewares) mux.use(middleware);
  const http = await startHttpServer(mux.handler);
  attachWebSocket(http.server, mux);
  return {
    url: http.url,
    wsUrl: http.url.replace("http:", "ws:"),
    mux,
    backendAddress: grpc?.address,
    backendCalls,
    async close() {
      await http.close();
      for (const client of clients) client.close();
      await grpc?.close();
    },
  };
}
