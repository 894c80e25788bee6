import type { RequestListener } from "node:http";
import { toJson } from "@bufbuild/protobuf";
import { ListItemsResponseSchema } from "../gen/bench/v1/bench_pb.js";
import { BenchImplementation } from "../service.js";
import { readJson, send } from "./plain-grpc.js";

/**
 * Row 2: node:http answering the same JSON with no backend call — the HTTP
 * ceiling. The small GET builds its object per request; the list is
 * serialized once (the ceiling for a 64 KB answer is writing it).
 */
export async function createRow(): Promise<RequestListener> {
  const list = JSON.stringify(
    toJson(ListItemsResponseSchema, await new BenchImplementation().listItems()),
  );
  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (req.method === "GET" && path.startsWith("/v1/items/")) {
      const id = decodeURIComponent(path.slice("/v1/items/".length));
      send(
        res,
        200,
        JSON.stringify({
          id,
          name: `item ${id}`,
          priceCents: "1299",
          available: true,
          kind: "KIND_BOOK",
        }),
      );
    } else if (req.method === "POST" && path === "/v1/items") {
      readJson(req, (json) => {
        const item = (json as { item?: Record<string, unknown> } | undefined)?.item;
        if (item === undefined) send(res, 400, '{"code":3,"message":"bad JSON"}');
        else send(res, 200, JSON.stringify({ ...item, id: "created-1" }));
      });
    } else if (req.method === "GET" && path === "/v1/items") {
      send(res, 200, list);
    } else {
      send(res, 404, '{"code":5,"message":"not found"}');
    }
  };
}
