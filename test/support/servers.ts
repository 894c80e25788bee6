import { createServer, type Server as HttpServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, ServerCredentials } from "@grpc/grpc-js";

/** A grpc-js server on 127.0.0.1 and a free port. */
export interface GrpcTestServer {
  readonly server: Server;
  readonly address: string;
  close(): Promise<void>;
}

/** Starts a grpc-js server after `setup` added its services. */
export async function startGrpcServer(setup: (server: Server) => void): Promise<GrpcTestServer> {
  const server = new Server();
  setup(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    server,
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** An HTTP server on 127.0.0.1 and a free port. */
export interface HttpTestServer {
  readonly server: HttpServer;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts an HTTP server for a request listener (a mux handler or an Express app). */
export async function startHttpServer(listener: RequestListener): Promise<HttpTestServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The parsed answer of {@link request}. */
export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** Sends an HTTP request with fetch and reads the whole answer; `json` is parsed when the body is JSON. */
export async function request(
  url: string,
  init?: RequestInit & { json?: unknown },
): Promise<TestResponse> {
  const { json, ...rest } = init ?? {};
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(url, {
    ...rest,
    headers,
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: parsed };
}
