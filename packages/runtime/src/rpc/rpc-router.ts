import type { IncomingMessage, ServerResponse } from "node:http";
import type { DescService } from "@bufbuild/protobuf";
import type { ContextKey } from "@connectrpc/connect";
import type { UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { Code, RpcError } from "../core/rpc-error.js";
import { isConnectStreaming, type RpcProtocol } from "../core/rpc-protocols.js";
import type { PipelineCall } from "../pipeline/pipeline.js";
import {
  decodeBase64Body,
  encodeBase64Body,
  grpcWebBinaryContentType,
  grpcWebTextContentType,
  isGrpcWebText,
} from "./grpc-web-text.js";
import { toConnectError } from "./rpc-errors.js";
import { type ConnectPeers, connectPeers } from "./rpc-peers.js";
import {
  type RpcCallState,
  type RpcMethodHandler,
  type RpcOptions,
  rpcServiceHandlers,
} from "./rpc-service.js";

/**
 * The RPC endpoints of a mux (`/<package>.<Service>/<Method>`), served by
 * connect-es's universal handlers through its Node adapter: one exact path
 * per method, looked up before the route table.
 * @internal
 */
export class RpcRouter {
  readonly #peers: ConnectPeers;
  readonly #stateKey: ContextKey<RpcCallState | undefined>;
  readonly #methods = new Map<string, RpcMethodHandler>();
  readonly #options: RpcOptions;

  constructor(options: RpcOptions) {
    this.#peers = connectPeers();
    this.#stateKey = this.#peers.connect.createContextKey<RpcCallState | undefined>(undefined, {
      description: "ts-gateway RPC call",
    });
    this.#options = options;
  }

  /** Serves the methods of `service` by calling `backend`; a service registered twice keeps its first backend. */
  add(service: DescService, backend: object, options: RpcOptions = this.#options): void {
    for (const method of rpcServiceHandlers(
      this.#peers,
      service,
      backend,
      this.#stateKey,
      options,
    )) {
      if (!this.#methods.has(method.handler.requestPath)) {
        this.#methods.set(method.handler.requestPath, method);
      }
    }
  }

  /** The method served at `path`, if any. */
  method(path: string): RpcMethodHandler | undefined {
    return this.#methods.get(path);
  }

  /** Every method served, by path, in registration order. */
  methods(): IterableIterator<RpcMethodHandler> {
    return this.#methods.values();
  }

  /**
   * Serves one call: connect-es decodes the request in the client's protocol,
   * the method's forwarder calls the backend, and connect-es writes the
   * answer. gRPC-Web text is decoded and encoded around the binary handler.
   */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    method: RpcMethodHandler,
    state: RpcCallState,
  ): void {
    const peers = this.#peers;
    let request: UniversalServerRequest;
    try {
      request = peers.node.universalRequestFromNodeRequest(
        req,
        res,
        undefined,
        peers.connect.createContextValues().set(this.#stateKey, state),
      );
    } catch (err) {
      // No authority (an HTTP/1.0 request without Host): nothing connect-es can serve.
      this.refuse(req, res, "connect", RpcError.from(err, Code.InvalidArgument), state.pipeline);
      return;
    }
    const text = isGrpcWebText(req.headers["content-type"]);
    const pipeline = state.pipeline;
    let body = request.body as AsyncIterable<Uint8Array>;
    if (pipeline !== undefined) body = countBytes(body, (n) => (pipeline.outcome.bytesIn += n));
    if (text) {
      request.header.set("content-type", grpcWebBinaryContentType);
      body = decodeBase64Body(
        body,
        (message) => new peers.connect.ConnectError(message, Code.InvalidArgument),
      );
    }
    request.body = body;
    method
      .handler(request)
      .then((response) => {
        let out = response;
        if (pipeline !== undefined) out = observed(peers, out, pipeline);
        if (text) out = asText(out);
        return peers.node.universalResponseToNodeResponse(out, res);
      })
      .catch(() => {
        // The client left, or a write failed: the response is over either way.
        if (!res.writableEnded) res.destroy();
      });
  }

  /**
   * Answers a call a middleware refused (or that cannot start) with the
   * error in the client's protocol, as connect-es writes errors: a Connect
   * unary JSON error with its HTTP status, a Connect stream's end-of-stream
   * message, or a gRPC/gRPC-Web trailers-only response.
   */
  refuse(
    req: IncomingMessage,
    res: ServerResponse,
    protocol: RpcProtocol,
    error: RpcError,
    pipeline: PipelineCall | undefined,
  ): void {
    pipeline?.fail(error);
    const peers = this.#peers;
    const connectError = toConnectError(peers, error, this.#options.redactInternalErrors);
    const contentType = req.headers["content-type"] ?? "";
    const header = new Headers();
    let response: UniversalServerResponse;
    if (protocol === "connect" && !isConnectStreaming(contentType)) {
      header.set("content-type", "application/json");
      connectError.metadata.forEach((value, key) => {
        header.append(key, value);
      });
      response = {
        status: peers.protocolConnect.codeToHttpStatus(connectError.code),
        header,
        body: peers.protocol.createAsyncIterable([
          peers.protocolConnect.errorToJsonBytes(connectError, undefined),
        ]),
      };
    } else if (protocol === "connect") {
      header.set("content-type", contentType);
      const end = peers.protocolConnect
        .createEndStreamSerialization(undefined)
        .serialize({ metadata: new Headers(), error: connectError });
      response = {
        status: 200,
        header,
        body: peers.protocol.createAsyncIterable([
          peers.protocol.encodeEnvelope(peers.protocolConnect.endStreamFlag, end),
        ]),
      };
    } else {
      header.set(
        "content-type",
        isGrpcWebText(contentType) ? grpcWebTextContentType : contentType || "application/grpc",
      );
      peers.protocolGrpc.setTrailerStatus(header, connectError);
      response = { status: 200, header, body: peers.protocol.createAsyncIterable([]) };
    }
    peers.node.universalResponseToNodeResponse(response, res).catch(() => {
      if (!res.writableEnded) res.destroy();
    });
  }
}

/** Counts the bytes of a body as they pass. */
async function* countBytes(
  body: AsyncIterable<Uint8Array>,
  add: (n: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    add(chunk.byteLength);
    yield chunk;
  }
}

/**
 * A response whose bytes are counted and whose status reaches the pipeline's
 * outcome: an error connect-es answered before the backend was called (a
 * bad frame, a wrong content type) from its status header or HTTP status;
 * a gRPC call's from its trailers.
 */
function observed(
  peers: ConnectPeers,
  response: UniversalServerResponse,
  pipeline: PipelineCall,
): UniversalServerResponse {
  const fromHeaders = (headers: Headers | undefined): boolean => {
    const status = headers?.get("grpc-status");
    if (status === null || status === undefined) return false;
    const code = Number(status);
    if (code !== Code.Ok) {
      const message = headers?.get("grpc-message") ?? "";
      pipeline.fail(new RpcError(safeDecode(message), isCodeNumber(code) ? code : Code.Unknown));
    }
    return true;
  };
  if (!fromHeaders(response.header) && response.status !== 200) {
    const code = peers.protocolConnect.codeFromHttpStatus(response.status) as number;
    pipeline.fail(
      new RpcError(`HTTP ${response.status}`, isCodeNumber(code) ? code : Code.Unknown),
    );
  }
  const body = response.body;
  if (body === undefined) return response;
  return {
    ...response,
    body: (async function* () {
      for await (const chunk of body) {
        pipeline.outcome.bytesOut += chunk.byteLength;
        yield chunk;
      }
      fromHeaders(response.trailer);
    })(),
  };
}

/** A binary gRPC-Web response, for a text client. */
function asText(response: UniversalServerResponse): UniversalServerResponse {
  const header = new Headers(response.header);
  if (header.has("content-type")) header.set("content-type", grpcWebTextContentType);
  return {
    ...response,
    header,
    ...(response.body === undefined ? {} : { body: encodeBase64Body(response.body) }),
  };
}

function isCodeNumber(code: number): code is Code {
  return Number.isInteger(code) && code >= 0 && code <= 16;
}

function safeDecode(message: string): string {
  try {
    return decodeURIComponent(message);
  } catch {
    return message;
  }
}
