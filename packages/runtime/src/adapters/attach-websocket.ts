import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Mux } from "../mux/mux.js";
import { guardSocket } from "../websocket/upgrade.js";

/**
 * Serves a mux's WebSocket routes on an HTTP server's `'upgrade'` event;
 * upgrade requests no route matches get a 404 (through the mux's pipeline).
 * Returns a function that detaches it. To share the event with other
 * handlers, call `mux.handleUpgrade` yourself: it returns false when no route
 * matched.
 */
export function attachWebSocket(server: Server, mux: Mux): () => void {
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node removes its own 'error' listener from an upgraded socket: add ours first.
    guardSocket(socket);
    if (!mux.handleUpgrade(req, socket, head)) mux.refuseUpgrade(req, socket);
  };
  server.on("upgrade", onUpgrade);
  return () => server.off("upgrade", onUpgrade);
}
