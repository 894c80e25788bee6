import type { ConnectError } from "@connectrpc/connect";
import { Code, detailToAny, type RpcError } from "../core/rpc-error.js";
import { headersFromMetadata } from "../headers/outgoing-headers.js";
import { publicError } from "../wire/error-redaction.js";
import type { ConnectPeers } from "./rpc-peers.js";

/**
 * An RpcError (a backend's, the gateway's, a middleware's refusal) as the
 * ConnectError connect-es writes in the caller's protocol: the same code and
 * message, every detail packed as the backend sent it (so a
 * `google.rpc.Status`'s details reach the client intact), and the error's
 * metadata (a backend's trailers) as metadata. An error carrying `Ok` is
 * sent as `Unknown`: a failed call must not look successful. With `redact`,
 * an INTERNAL or UNKNOWN error loses its message and details (see
 * `redactInternalErrors`).
 * @internal
 */
export function toConnectError(
  peers: ConnectPeers,
  error: RpcError,
  redact: boolean,
): ConnectError {
  const shown = publicError(error, redact);
  const code = shown.code === Code.Ok ? Code.Unknown : shown.code;
  const metadata = new Headers();
  for (const [name, value] of headersFromMetadata(shown.metadata, "", (key) => key)) {
    metadata.append(name, value);
  }
  const connectError = new peers.connect.ConnectError(
    shown.rawMessage,
    code as number,
    metadata,
    undefined,
    error,
  );
  for (const detail of shown.details) {
    const any = detailToAny(detail);
    const slash = any.typeUrl.lastIndexOf("/");
    connectError.details.push({
      type: any.typeUrl.slice(slash + 1),
      value: any.value,
    });
  }
  return connectError;
}
