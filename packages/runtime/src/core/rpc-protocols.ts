/**
 * The protocols a mux serves: `rest` (the HttpRule routes, JSON) and the RPC
 * protocols of connect-es, at `POST /<package>.<Service>/<Method>`:
 * `connect` (unary and streaming, JSON and binary, GET for side-effect-free
 * methods), `grpc-web` (binary and text) and `grpc` (HTTP/2 only).
 */
export type Protocol = "rest" | "connect" | "grpc-web" | "grpc";

/** The RPC protocols, served by connect-es's handlers. */
export type RpcProtocol = Exclude<Protocol, "rest">;

const known: readonly Protocol[] = ["rest", "connect", "grpc-web", "grpc"];

/**
 * The `protocols` option, checked: a non-empty list of known names.
 * @throws Error for an unknown name or an empty list (a configuration error).
 * @internal
 */
export function resolveProtocols(list: readonly string[] | undefined): ReadonlySet<Protocol> {
  if (list === undefined) return new Set(["rest"]);
  if (list.length === 0)
    throw new Error("protocols: name at least one of rest, connect, grpc-web, grpc");
  for (const name of list) {
    if (!known.includes(name as Protocol)) {
      throw new Error(`protocols: unknown protocol "${name}"; known: ${known.join(", ")}`);
    }
  }
  return new Set(list as readonly Protocol[]);
}

/**
 * The RPC protocol a request to an RPC path speaks, from its `Content-Type`
 * (as connect-es negotiates it): `application/grpc-web…` is gRPC-Web,
 * `application/grpc…` gRPC, anything else (`application/json`,
 * `application/proto`, `application/connect+…`, a Connect GET, or a type no
 * protocol accepts, which Connect answers with 415) Connect.
 * @internal
 */
export function rpcProtocolOf(contentType: string | undefined): RpcProtocol {
  if (contentType === undefined) return "connect";
  const type = contentType.trimStart().toLowerCase();
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/** Whether a Connect request uses the streaming protocol (`application/connect+…`). @internal */
export function isConnectStreaming(contentType: string | undefined): boolean {
  return contentType?.trimStart().toLowerCase().startsWith("application/connect+") === true;
}
