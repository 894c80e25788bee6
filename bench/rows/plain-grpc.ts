import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type DescMessage,
  fromBinary,
  fromJson,
  type MessageShape,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  CreateItemRequestSchema,
  GetItemRequestSchema,
  ItemSchema,
  ListItemsRequestSchema,
  ListItemsResponseSchema,
} from "../gen/bench/v1/bench_pb.js";

/**
 * What a hand-written gateway on grpc-js does at the least: a plain grpc-js
 * client with protobuf-es (de)serializers (the same codec the generated code
 * uses), JSON in and out with `fromJson`/`toJson`. Shared by `floor-grpc`
 * (node:http) and `express-grpc` (Express routes), so they differ only in the
 * HTTP framework.
 */
export interface PlainGrpcHandlers {
  getItem(id: string, res: ServerResponse): void;
  createItem(req: IncomingMessage, res: ServerResponse): void;
  listItems(query: string, res: ServerResponse): void;
}

export function plainGrpcHandlers(backend: string): PlainGrpcHandlers {
  const client = new grpc.Client(backend, grpc.credentials.createInsecure());
  const unary = <I extends DescMessage, O extends DescMessage>(
    path: string,
    input: I,
    output: O,
  ) => {
    const serialize = (m: MessageShape<I>) => Buffer.from(toBinary(input, m));
    const deserialize = (b: Buffer) => fromBinary(output, b);
    return (request: MessageShape<I>, res: ServerResponse) => {
      client.makeUnaryRequest(path, serialize, deserialize, request, (err, value) => {
        if (err || value === undefined) {
          send(res, 500, JSON.stringify({ code: err?.code ?? 13, message: err?.message ?? "" }));
          return;
        }
        send(res, 200, JSON.stringify(toJson(output, value)));
      });
    };
  };
  const getItem = unary("/bench.v1.BenchService/GetItem", GetItemRequestSchema, ItemSchema);
  const createItem = unary(
    "/bench.v1.BenchService/CreateItem",
    CreateItemRequestSchema,
    ItemSchema,
  );
  const listItems = unary(
    "/bench.v1.BenchService/ListItems",
    ListItemsRequestSchema,
    ListItemsResponseSchema,
  );
  return {
    getItem(id, res) {
      getItem(fromJson(GetItemRequestSchema, { id }), res);
    },
    createItem(req, res) {
      readJson(req, (json) => {
        if (json === undefined) send(res, 400, '{"code":3,"message":"bad JSON"}');
        else createItem(fromJson(CreateItemRequestSchema, json as never), res);
      });
    },
    listItems(query, res) {
      const pageSize = new URLSearchParams(query).get("pageSize");
      listItems(
        fromJson(ListItemsRequestSchema, pageSize === null ? {} : { pageSize: Number(pageSize) }),
        res,
      );
    },
  };
}

/** Reads and parses a JSON request body. */
export function readJson(req: IncomingMessage, done: (json: unknown) => void): void {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    try {
      done(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    } catch {
      done(undefined);
    }
  });
}

/** Writes a JSON answer. */
export function send(res: ServerResponse, status: number, json: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(json));
  res.end(json);
}
