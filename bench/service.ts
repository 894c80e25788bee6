import { create, toJsonString } from "@bufbuild/protobuf";
import type { BenchServiceApi } from "./gen/bench/v1/bench_gateway.js";
import {
  type CreateItemRequest,
  type GetItemRequest,
  type Item,
  ItemSchema,
  Kind,
  type ListItemsResponse,
  ListItemsResponseSchema,
} from "./gen/bench/v1/bench_pb.js";

/** Items in the list answer: 56 items of about 1.2 KB of JSON each. */
export const listSize = 56;

/** A full item, about 1 KB as JSON: the POST body and each element of the list. */
export function fullItem(id: string): Item {
  return create(ItemSchema, {
    id,
    name: `A reasonably descriptive item name, number ${id}`,
    priceCents: 129_999n,
    available: true,
    tags: ["hardware", "garden", "outdoor", "steel", "hand-tool", "gift", "sale", "new"],
    dimensions: { width: 12.5, height: 30.25, depth: 4.75, unit: "centimetre" },
    attributes: Array.from({ length: 8 }, (_, i) => ({
      key: `attribute-${i}`,
      value: `value of attribute ${i}, long enough to matter`,
      scores: [i, i * 3, i * 7, 1000 + i],
    })),
    labels: { team: "catalogue", region: "eu-west", tier: "gold", owner: "bench" },
    kind: Kind.TOOL,
  });
}

/** The small GET's answer (~130 bytes of JSON). */
export function smallItem(id: string): Item {
  return create(ItemSchema, {
    id,
    name: `item ${id}`,
    priceCents: 1299n,
    available: true,
    kind: Kind.BOOK,
  });
}

/** The POST body: a CreateItemRequest (`body: "*"`) as JSON text, about 1 KB. */
export const createBody = JSON.stringify({
  item: JSON.parse(toJsonString(ItemSchema, fullItem("new"))),
  requestId: "5f0c6a8e-bench-request",
});

/** The path of the small GET. */
export const getPath = "/v1/items/42";
/** The path of the list GET. */
export const listPath = "/v1/items?pageSize=56";
/** The path of the POST. */
export const postPath = "/v1/items";

/** The rows measured with each scenario's call over Connect (JSON, unary) instead of REST. */
export const connectRows: readonly string[] = ["gateway-node-connect"];

/** Each scenario's call over Connect: the same request message as the REST call's, as JSON. */
export const connectRequests: Record<string, { path: string; body: string }> = {
  get: { path: "/bench.v1.BenchService/GetItem", body: JSON.stringify({ id: "42" }) },
  post: { path: "/bench.v1.BenchService/CreateItem", body: createBody },
  list: { path: "/bench.v1.BenchService/ListItems", body: JSON.stringify({ pageSize: listSize }) },
};

/**
 * The service every gRPC backend and the in-process gateway serve: answers are
 * built like a real service would (a fresh small message per GET, the request
 * item echoed back on POST) except the big list, which is built once.
 */
export class BenchImplementation implements BenchServiceApi {
  readonly #list: ListItemsResponse = create(ListItemsResponseSchema, {
    items: Array.from({ length: listSize }, (_, i) => fullItem(String(i))),
    nextPageToken: "page-2",
  });

  async getItem(request: GetItemRequest): Promise<Item> {
    return smallItem(request.id);
  }

  async createItem(request: CreateItemRequest): Promise<Item> {
    const item = request.item ?? create(ItemSchema);
    item.id = "created-1";
    return item;
  }

  async listItems(): Promise<ListItemsResponse> {
    return this.#list;
  }
}
