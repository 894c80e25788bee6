import type { RequestListener } from "node:http";
import { plainGrpcHandlers, send } from "./plain-grpc.js";

/** Row 1: a hand-written node:http handler calling the backend with a plain grpc-js client. */
export function createRow(backend: string): RequestListener {
  const h = plainGrpcHandlers(backend);
  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (req.method === "GET" && path.startsWith("/v1/items/")) {
      h.getItem(decodeURIComponent(path.slice("/v1/items/".length)), res);
    } else if (req.method === "POST" && path === "/v1/items") {
      h.createItem(req, res);
    } else if (req.method === "GET" && path === "/v1/items") {
      h.listItems(q === -1 ? "" : url.slice(q + 1), res);
    } else {
      send(res, 404, '{"code":5,"message":"not found"}');
    }
  };
}
