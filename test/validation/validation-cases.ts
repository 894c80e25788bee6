// The validation table: requests to validation.v1.RulesService
// (test/proto/validation/v1/validation.proto) and what the gateway answers:
// `ok` (the backend gets the message) or the 400's field violations as
// [field (the client's JSON path), reason (the rule id)], in any order.

/** A valid item: every rule holds. */
export const validItem = {
  title: "Dune",
  quantity: 1,
  price: 10,
  slug: "dune",
  owner: "me",
};

export interface ValidationCase {
  readonly name: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  /** The JSON body (POST). */
  readonly body?: unknown;
  /** `ok`, or the violations as [field, rule id]. */
  readonly want: "ok" | ReadonlyArray<readonly [string, string]>;
  /** The body is an Item as a whole (Ajv checks it against the Item schema). */
  readonly itemBody?: boolean;
}

const item = (patch: Record<string, unknown>) => ({ ...validItem, ...patch });
const create = (
  name: string,
  patch: Record<string, unknown>,
  want: ValidationCase["want"],
): ValidationCase => ({
  name,
  method: "POST",
  path: "/v1/shelves/main/items",
  body: item(patch),
  want,
  itemBody: true,
});

export const validationCases: readonly ValidationCase[] = [
  create("a valid item", {}, "ok"),
  create(
    "a valid item using every optional rule",
    {
      sku: "ABC-1234",
      code: "it_mid_x",
      color: "red",
      nickname: "zed",
      kind: "book",
      email: "a@example.com",
      host: "example.com",
      ip: "10.0.0.1",
      ipv4: "10.0.0.2",
      ipv6: "::1",
      homepage: "https://example.com/x",
      uuid: "8f0c0a36-7c35-4f4e-9a55-1f7d4e1c2b3a",
      size: 2,
      version: "2",
      status: "STATUS_LIVE",
      nextStatus: "STATUS_DRAFT",
      tags: ["a", "b", "c"],
      parts: [{ id: "p1" }],
      labels: { env: "prod", tier: "gold" },
      blob: Buffer.from("12345678").toString("base64"),
      ids: ["ab", "cd"],
      discount: 10,
    },
    "ok",
  ),
  create("required string empty", { title: "" }, [["item.title", "required"]]),
  create("string.max_len", { title: "x".repeat(21) }, [["item.title", "string.max_len"]]),
  create("string.pattern", { sku: "abc" }, [["item.sku", "string.pattern"]]),
  create("string.contains", { code: "it_x" }, [["item.code", "string.contains"]]),
  create("string.prefix, suffix and contains", { code: "zz" }, [
    ["item.code", "string.prefix"],
    ["item.code", "string.suffix"],
    ["item.code", "string.contains"],
  ]),
  create("string.in", { color: "blue" }, [["item.color", "string.in"]]),
  create("string.not_in", { nickname: "admin" }, [["item.nickname", "string.not_in"]]),
  create("string.const", { kind: "pen" }, [["item.kind", "string.const"]]),
  create("string.email under its json_name", { email: "nope" }, [["item.email", "string.email"]]),
  create("string.hostname", { host: "-bad-" }, [["item.host", "string.hostname"]]),
  create("string.ip", { ip: "1.2.3" }, [["item.ip", "string.ip"]]),
  create("string.ipv4", { ipv4: "::1" }, [["item.ipv4", "string.ipv4"]]),
  create("string.ipv6", { ipv6: "1.2.3.4" }, [["item.ipv6", "string.ipv6"]]),
  create("string.uri", { homepage: "not a uri" }, [["item.homepage", "string.uri"]]),
  create("string.uuid", { uuid: "x" }, [["item.uuid", "string.uuid"]]),
  create("int32 gt (zero)", { quantity: 0 }, [["item.quantity", "int32.gt_lte"]]),
  create("int32 lte", { quantity: 101 }, [["item.quantity", "int32.gt_lte"]]),
  create("double lt", { price: 1000 }, [["item.price", "double.gte_lt"]]),
  create("uint32.in", { size: 4 }, [["item.size", "uint32.in"]]),
  create("int64.const", { version: "3" }, [["item.version", "int64.const"]]),
  create("enum.not_in", { status: "STATUS_GONE" }, [["item.status", "enum.not_in"]]),
  create("enum.defined_only", { status: 7 }, [["item.status", "enum.defined_only"]]),
  create("enum.in", { nextStatus: "STATUS_GONE" }, [["item.nextStatus", "enum.in"]]),
  create("repeated.unique", { tags: ["a", "a"] }, [["item.tags", "repeated.unique"]]),
  create("repeated.max_items", { tags: ["a", "b", "c", "d"] }, [
    ["item.tags", "repeated.max_items"],
  ]),
  create("a nested message in a list", { parts: [{ id: "a" }, { id: "b" }, { id: "" }] }, [
    ["item.parts[2].id", "string.min_len"],
  ]),
  create("repeated items", { ids: ["abcde"] }, [["item.ids[0]", "string.max_len"]]),
  create("map.max_pairs", { labels: { aa: "1", bb: "2", cc: "3" } }, [
    ["item.labels", "map.max_pairs"],
  ]),
  create("a map key", { labels: { e: "v" } }, [['item.labels["e"]', "string.min_len"]]),
  create("a map value", { labels: { env: "x".repeat(11) } }, [
    ['item.labels["env"]', "string.max_len"],
  ]),
  create("bytes.max_len", { blob: Buffer.from("123456789").toString("base64") }, [
    ["item.blob", "bytes.max_len"],
  ]),
  create("a field's CEL rule", { slug: "Dune" }, [["item.slug", "slug.lowercase"]]),
  create("a message's CEL rule", { discount: 11 }, [["item", "item.discount_le_price"]]),
  create("several violations at once", { title: "", quantity: 0, tags: ["a", "a"] }, [
    ["item.title", "required"],
    ["item.quantity", "int32.gt_lte"],
    ["item.tags", "repeated.unique"],
  ]),
  {
    name: "a path variable",
    method: "POST",
    path: "/v1/shelves/ab/items",
    body: validItem,
    want: [["shelf", "string.min_len"]],
  },
  {
    name: "a required message field missing",
    method: "POST",
    path: "/v1/shelves/main/items",
    want: [["item", "required"]],
  },
  {
    name: "a valid GET",
    method: "GET",
    path: "/v1/items/8f0c0a36-7c35-4f4e-9a55-1f7d4e1c2b3a?pageSize=10&view=full",
    want: "ok",
  },
  {
    name: "a path variable and query parameters of a GET",
    method: "GET",
    path: "/v1/items/nope?pageSize=51&view=huge",
    want: [
      ["id", "string.uuid"],
      ["pageSize", "int32.gte_lte"],
      ["view", "string.in"],
    ],
  },
];

/** The FieldViolations of a google.rpc.Status JSON body, as sorted [field, reason] pairs. */
export function violationsOf(body: unknown): string[][] {
  const details = (body as { details?: Array<Record<string, unknown>> }).details ?? [];
  const bad = details.find((d) => d["@type"] === "type.googleapis.com/google.rpc.BadRequest");
  const list = (bad?.fieldViolations ?? []) as Array<{ field: string; reason: string }>;
  return list.map((v) => [v.field, v.reason]).sort();
}

/** The expected pairs, sorted like {@link violationsOf}. */
export function sorted(want: ReadonlyArray<readonly [string, string]>): string[][] {
  return want.map(([f, r]) => [f, r]).sort();
}
