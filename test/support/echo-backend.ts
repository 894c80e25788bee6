import * as grpc from "@grpc/grpc-js";
import {
  addHealthService,
  type HealthService,
} from "../../packages/runtime/src/health/health-service.js";

/** Request of the test "whoami" service: JSON `{ delayMs?: number }`. */
export interface WhoAmIRequest {
  delayMs?: number;
}

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString() || "{}"),
};

/** Hand-made definition of `/test.WhoAmI/Get` (unary, JSON bodies). */
export const whoAmIDefinition = {
  get: {
    path: "/test.WhoAmI/Get",
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize as (b: Buffer) => WhoAmIRequest,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize as (b: Buffer) => { id: string },
  },
} satisfies grpc.ServiceDefinition;

/** A generated-style client class for the whoami service. */
export const WhoAmIClient = grpc.makeGenericClientConstructor(whoAmIDefinition, "WhoAmI");

export interface EchoBackend {
  readonly id: string;
  readonly port: number;
  readonly address: string;
  readonly server: grpc.Server;
  readonly health: HealthService;
  /** Extra latency added to every call. */
  delayMs: number;
  /** When set, every call fails with this code. */
  failWith: grpc.status | undefined;
  /** Calls received so far. */
  readonly received: number;
  stop(): Promise<void>;
}

/** Starts a whoami backend with a health service on 127.0.0.1. */
export async function startEchoBackend(
  id: string,
  options: { port?: number; delayMs?: number } = {},
): Promise<EchoBackend> {
  const server = new grpc.Server();
  const backend = { delayMs: options.delayMs ?? 0, failWith: undefined, received: 0 } as {
    delayMs: number;
    failWith: grpc.status | undefined;
    received: number;
  };
  server.addService(whoAmIDefinition, {
    get(call: grpc.ServerUnaryCall<WhoAmIRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
      backend.received++;
      if (backend.failWith !== undefined) {
        callback({ code: backend.failWith, details: `${id} fails` });
        return;
      }
      const delay = call.request.delayMs ?? backend.delayMs;
      if (delay > 0) setTimeout(() => callback(null, { id }), delay);
      else callback(null, { id });
    },
  });
  const health = addHealthService(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `127.0.0.1:${options.port ?? 0}`,
      grpc.ServerCredentials.createInsecure(),
      (error, p) => (error ? reject(error) : resolve(p)),
    ),
  );
  return Object.assign(backend, {
    id,
    port,
    address: `127.0.0.1:${port}`,
    server,
    health,
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  });
}

/** Calls whoami once; resolves with the backend id or rejects with the grpc error. */
export function whoAmI(
  client: grpc.Client,
  request: WhoAmIRequest = {},
  deadlineMs = 5000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    (
      client as unknown as {
        get(
          r: WhoAmIRequest,
          o: grpc.CallOptions,
          cb: (e: grpc.ServiceError | null, v?: { id: string }) => void,
        ): void;
      }
    ).get(request, { deadline: Date.now() + deadlineMs }, (error, value) =>
      error ? reject(error) : resolve(value?.id ?? ""),
    );
  });
}

/** Counts calls per backend id. */
export function tally(ids: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}
