import type { IncomingMessage } from "node:http";
import { HttpStatusError } from "../core/http-status-error.js";
import { Code } from "../core/rpc-error.js";

/**
 * A 400 for a request with more than one `Host` header (RFC 9112 §3.2: a
 * server MUST answer 400), which Node's parser lets through keeping the
 * first: a proxy in front that kept the other would route by a host the
 * gateway never saw. Undefined for a request with one `Host` or none.
 * @internal
 */
export function duplicateHost(req: IncomingMessage): HttpStatusError | undefined {
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === "host" && ++hosts > 1) {
      return new HttpStatusError("more than one Host header", Code.InvalidArgument, 400);
    }
  }
  return undefined;
}
