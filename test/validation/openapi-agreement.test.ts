// The OpenAPI document agrees with protovalidate: Ajv (JSON Schema 2020-12,
// with ajv-formats) over the generated schemas accepts exactly the requests of
// the validation table that protovalidate accepts, wherever the rule is
// expressible (CEL rules are not: they are listed under x-buf-validate-cel;
// bytes lengths are a bound on the base64 text, so there Ajv's refusal implies
// protovalidate's, not the reverse). The document itself validates as
// OpenAPI 3.1 in test/openapi/generator.test.ts, with every document under test/gen.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { repoRoot } from "../support/generate-inline.js";
import { validationCases } from "./validation-cases.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
type Doc = Record<string, any>;

const doc = JSON.parse(
  readFileSync(join(repoRoot, "test/gen/validation/v1/validation.openapi.json"), "utf8"),
) as Doc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
for (const f of ["int32", "uint32", "int64", "uint64", "float", "double", "byte"]) {
  ajv.addFormat(f, true);
}
ajv.addSchema(doc, "doc");
const at = (pointer: string) => ajv.compile({ $ref: `doc#${pointer}` });
const pointerEscape = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

/** Rule ids JSON Schema cannot express (CEL), and those it expresses as a bound only. */
const inexpressible = new Set(["slug.lowercase", "item.discount_le_price"]);
const boundOnly = (id: string) => id.startsWith("bytes.");

describe("Ajv over the generated schemas agrees with protovalidate", { timeout: 60_000 }, () => {
  const createBody = at(
    `/paths/${pointerEscape("/v1/shelves/{shelf}/items")}/post/requestBody/content/application~1json/schema`,
  );
  const getItem = doc.paths["/v1/items/{id}"].get as Doc;
  const parameter = (name: string) => {
    const i = (getItem.parameters as Doc[]).findIndex((p) => p.name === name);
    return at(`/paths/${pointerEscape("/v1/items/{id}")}/get/parameters/${i}/schema`);
  };

  let compared = 0;
  for (const c of validationCases) {
    const ids = c.want === "ok" ? [] : c.want.map(([, id]) => id);
    if (ids.some((id) => inexpressible.has(id))) continue;
    if (c.itemBody === true) {
      it(`${c.name}: Ajv ${c.want === "ok" ? "accepts" : "refuses"} the body`, () => {
        compared++;
        const ok = createBody(c.body);
        if (ids.some(boundOnly) && ok) return; // a bound: Ajv may accept what protovalidate refuses
        assert.equal(ok, c.want === "ok", ajv.errorsText(createBody.errors));
      });
    } else if (c.method === "GET") {
      it(`${c.name}: Ajv ${c.want === "ok" ? "accepts" : "refuses"} each parameter`, () => {
        compared++;
        const url = new URL(c.path, "http://x");
        const values: Record<string, unknown> = {
          id: decodeURIComponent(url.pathname.split("/").at(-1) ?? ""),
        };
        for (const [k, v] of url.searchParams) values[k] = k === "pageSize" ? Number(v) : v;
        const refused = new Set(
          ids.length === 0 ? [] : c.want === "ok" ? [] : c.want.map(([f]) => f),
        );
        for (const [name, value] of Object.entries(values)) {
          const check = parameter(name);
          assert.equal(check(value), !refused.has(name), `${name}=${String(value)}`);
        }
      });
    }
  }

  it("the message's CEL rule and the field's are listed under x-buf-validate-cel", () => {
    const item = doc.components.schemas["validation.v1.Item"] as Doc;
    assert.deepEqual(item["x-buf-validate-cel"], [
      {
        id: "item.discount_le_price",
        message: "discount must not exceed price",
        expression: "this.discount <= this.price",
      },
    ]);
    assert.equal(item.properties.slug["x-buf-validate-cel"][0].id, "slug.lowercase");
    assert.ok(compared > 0);
  });

  it("fields whose zero value the rules refuse are required, as are field_behavior REQUIRED ones", () => {
    const item = doc.components.schemas["validation.v1.Item"] as Doc;
    assert.deepEqual(item.required, ["title", "quantity", "owner"]);
    const create = doc.components.schemas["validation.v1.CreateItemRequest"] as Doc | undefined;
    // CreateItemRequest's body is `item`: its schema is Item's; `shelf` is a path parameter.
    assert.equal(create, undefined);
  });
});
