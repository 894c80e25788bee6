// The errors suite's fixture: the generated ErrorService router in front of a
// recording implementation, served either by a REAL grpc-js server (the
// gateway calls it through the generated client: "remote") or called directly
// by the gateway ("in-process").
import type { ServerResponse } from "node:http";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { credentials, Metadata } from "@grpc/grpc-js";
import {
  type CallContext,
  type CallMetadata,
  type CallMetadataValue,
  createMetadata,
  Mux,
  type MuxOptions,
  RpcError,
} from "@ts-gateway/runtime";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
} from "@ts-gateway/runtime/error-details";
import {
  addErrorService,
  type ErrorServiceApi,
  ErrorServiceClient,
  registerErrorService,
} from "../gen/errors/v1/errors_gateway.js";
import {
  type CreateThingRequest,
  type EchoRequest,
  type FailRequest,
  QuotaDetailSchema,
  type SleepRequest,
} from "../gen/errors/v1/errors_pb.js";
import { type GrpcTestServer, startGrpcServer, startHttpServer } from "../support/servers.js";

export type Mode = "remote" | "in-process";
export const modes: readonly Mode[] = ["remote", "in-process"];

/** One call as the implementation saw it. */
export interface Seen {
  readonly rpc: string;
  readonly metadata: CallContext["metadata"];
  readonly deadline: Date | undefined;
}

/**
 * The implementation: records every call's metadata and deadline; `echo`
 * sends the configured response headers and trailers; `sleep` waits (or,
 * with `ignoreCancellation`, ignores its signal) and reports aborts.
 */
export class RecordingService implements ErrorServiceApi {
  readonly seen: Seen[] = [];
  /** Response metadata `echo` sets. */
  responseHeaders = new Metadata();
  responseTrailers = new Metadata();
  /**
   * `fail` builds its error's metadata with the runtime's `createMetadata()`
   * instead of grpc-js's `Metadata`, adding these entries too.
   */
  coreErrorMetadata: Array<[string, CallMetadataValue]> | undefined;
  /** `sleep` keeps sleeping when its signal aborts. */
  ignoreCancellation = false;
  /** The reasons of the aborts `sleep` observed. */
  readonly aborts: unknown[] = [];
  readonly #abortWaiters: Array<(reason: unknown) => void> = [];
  readonly #timers = new Set<NodeJS.Timeout>();

  async fail(request: FailRequest, context: CallContext): Promise<Record<string, never>> {
    this.#record("fail", context);
    const metadata: CallMetadata =
      this.coreErrorMetadata === undefined ? new Metadata() : createMetadata();
    for (const [key, value] of this.coreErrorMetadata ?? []) metadata.add(key, value);
    if (request.wwwAuthenticate !== "") metadata.set("www-authenticate", request.wwwAuthenticate);
    const details: ConstructorParameters<typeof RpcError>[2] & object = { metadata, details: [] };
    if (request.standardDetails) {
      details.details?.push(
        {
          desc: BadRequestSchema,
          value: { fieldViolations: [{ field: "name", description: "must not be empty" }] },
        },
        { desc: ErrorInfoSchema, value: { reason: "TEST", domain: "example.com" } },
        { desc: RetryInfoSchema, value: { retryDelay: { seconds: 3n } } },
      );
    }
    if (request.customDetail) {
      details.details?.push(
        anyPack(QuotaDetailSchema, {
          $typeName: "errors.v1.QuotaDetail",
          bucket: "b",
          remaining: 2,
        }),
      );
    }
    if (request.unknownDetail) {
      details.details?.push({
        $typeName: "google.protobuf.Any",
        typeUrl: "type.googleapis.com/nobody.knows.This",
        value: new Uint8Array([0xff, 0xfe, 0x01]),
      });
    }
    throw new RpcError(request.message, request.code as never, details);
  }

  async echo(request: EchoRequest, context: CallContext) {
    this.#record("echo", context);
    context.responseMetadata.merge(this.responseHeaders);
    context.responseTrailers.merge(this.responseTrailers);
    return { text: request.text };
  }

  async sleep(request: SleepRequest, context: CallContext) {
    this.#record("sleep", context);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, request.ms);
      this.#timers.add(timer);
      context.signal.addEventListener("abort", () => {
        this.aborts.push(context.signal.reason);
        for (const w of this.#abortWaiters.splice(0)) w(context.signal.reason);
        if (this.ignoreCancellation) return;
        clearTimeout(timer);
        this.#timers.delete(timer);
        resolve();
      });
    });
    return { deadlineMs: BigInt(context.deadline?.getTime() ?? 0) };
  }

  async createThing(request: CreateThingRequest, context: CallContext) {
    this.#record("createThing", context);
    const name = `things/${request.thing?.name ?? ""}`;
    context.responseMetadata.set("x-http-code", "201");
    context.responseMetadata.set("x-http-header-location", `/v1/${name}`);
    context.responseMetadata.set("x-http-header-content-length", "1"); // not allowed: dropped
    return { name };
  }

  /** Resolves with the reason of the next abort `sleep` observes. */
  nextAbort(): Promise<unknown> {
    return new Promise((resolve) => this.#abortWaiters.push(resolve));
  }

  /** Stops sleeps still running (ones that ignored cancellation). */
  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #record(rpc: string, context: CallContext): void {
    this.seen.push({ rpc, metadata: context.metadata, deadline: context.deadline });
  }
}

/** A running gateway in front of a {@link RecordingService}. */
export interface ErrorGateway {
  readonly url: string;
  readonly port: number;
  readonly service: RecordingService;
  readonly mux: Mux;
  /** Every HTTP response the gateway was given, in arrival order. */
  readonly responses: ServerResponse[];
  /** Resolves when the next backend call (through the gateway) settles. */
  nextSettled(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the gateway (and, for "remote", the grpc-js server behind it). */
export async function startErrorGateway(
  mode: Mode,
  options: MuxOptions = {},
): Promise<ErrorGateway> {
  const service = new RecordingService();
  let grpc: GrpcTestServer | undefined;
  let client: ErrorServiceClient | undefined;
  let backend: ErrorServiceApi = service;
  if (mode === "remote") {
    grpc = await startGrpcServer((server) => addErrorService(server, service));
    client = new ErrorServiceClient(grpc.address, credentials.createInsecure());
    backend = client;
  }
  const waiters: Array<() => void> = [];
  const settled = () => {
    for (const w of waiters.splice(0)) w();
  };
  const observed = new Proxy(backend, {
    get(target, key) {
      const fn = Reflect.get(target, key) as unknown;
      if (typeof fn !== "function") return fn;
      return (request: unknown, context: unknown) => {
        const result = Promise.resolve(fn.call(target, request, context));
        result.then(settled, settled);
        return result;
      };
    },
  });
  const mux = new Mux({ notFound: "404", ...options });
  registerErrorService(mux, observed);
  const responses: ServerResponse[] = [];
  const http = await startHttpServer((req, res) => {
    responses.push(res);
    mux.handle(req, res);
  });
  return {
    url: http.url,
    port: Number(new URL(http.url).port),
    service,
    mux,
    responses,
    nextSettled: () => new Promise((resolve) => waiters.push(resolve)),
    async close() {
      service.stop();
      await http.close();
      client?.close();
      if (grpc !== undefined) {
        grpc.server.forceShutdown();
      }
    },
  };
}
