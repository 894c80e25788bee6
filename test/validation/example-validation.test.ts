// The example validates: its proto's buf.validate rules answer 400 with the
// client's field paths before the backend is called, and the OpenAPI document
// its /docs page serves shows them (the example runs as a child process).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ExampleProcess, startExample } from "../support/example-process.js";
import { request } from "../support/servers.js";
import { violationsOf } from "./validation-cases.js";

describe("the example's validation rules", { timeout: 90_000 }, () => {
  let example: ExampleProcess;
  before(async () => {
    example = await startExample();
  });
  after(() => example.kill());

  it("a book breaking its rules gets 400 with each field's path and rule id", async () => {
    const shelf = await request(`${example.url}/v1/shelves`, {
      method: "POST",
      json: { theme: "Validation" },
    });
    assert.equal(shelf.status, 201, shelf.text);
    const name = (shelf.json as { name: string }).name;
    const res = await request(`${example.url}/v1/${name}/books`, {
      method: "POST",
      json: { title: "t".repeat(201), pageCount: -1, labels: { "Bad Key": "v" } },
    });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(violationsOf(res.json), [
      ['book.labels["Bad Key"]', "string.pattern"],
      ["book.pageCount", "int32.gte_lte"],
      ["book.title", "string.max_len"],
    ]);
    const ok = await request(`${example.url}/v1/${name}/books`, {
      method: "POST",
      json: { title: "Dune", pageCount: 412, labels: { genre: "sf" } },
    });
    assert.equal(ok.status, 201, ok.text);
  });

  it("a query parameter out of range gets 400", async () => {
    const res = await request(`${example.url}/v1/shelves?pageSize=101`);
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(violationsOf(res.json), [["pageSize", "int32.gte_lte"]]);
  });

  it("the document /docs serves shows the rules", async () => {
    const res = await request(`${example.url}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = res.json as Record<string, any>;
    const book = doc.components.schemas["library.v1.Book"];
    assert.equal(book.properties.title.maxLength, 200);
    assert.deepEqual(
      [book.properties.pageCount.minimum, book.properties.pageCount.maximum],
      [0, 100000],
    );
    assert.equal(book.properties.labels.maxProperties, 16);
    const list = doc.paths["/v1/shelves"].get.parameters.find(
      (p: { name: string }) => p.name === "pageSize",
    );
    assert.equal(list.schema.maximum, 100);
    assert.ok(example.alive());
  });
});
