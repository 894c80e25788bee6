import { createRequire } from "node:module";
import { requireOptionalPeer } from "../util/optional-peer.js";

const require = createRequire(import.meta.url);

/** The parts of connect-es the RPC protocols use, loaded when a mux turns one on. @internal */
export interface ConnectPeers {
  readonly connect: typeof import("@connectrpc/connect");
  readonly protocol: typeof import("@connectrpc/connect/protocol");
  readonly protocolConnect: typeof import("@connectrpc/connect/protocol-connect");
  readonly protocolGrpc: typeof import("@connectrpc/connect/protocol-grpc");
  readonly node: typeof import("@connectrpc/connect-node");
}

let loaded: ConnectPeers | undefined;

/**
 * Loads `@connectrpc/connect` and `@connectrpc/connect-node` (optional peers:
 * only a mux whose `protocols` name connect, grpc-web or grpc needs them).
 * @internal
 */
export function connectPeers(): ConnectPeers {
  if (loaded !== undefined) return loaded;
  const feature = "the protocols option (connect, grpc-web, grpc)";
  const connect = requireOptionalPeer(
    "@connectrpc/connect",
    feature,
    () => require("@connectrpc/connect") as typeof import("@connectrpc/connect"),
  );
  const node = requireOptionalPeer(
    "@connectrpc/connect-node",
    feature,
    () => require("@connectrpc/connect-node") as typeof import("@connectrpc/connect-node"),
  );
  loaded = {
    connect,
    node,
    protocol: require("@connectrpc/connect/protocol"),
    protocolConnect: require("@connectrpc/connect/protocol-connect"),
    protocolGrpc: require("@connectrpc/connect/protocol-grpc"),
  };
  return loaded;
}
