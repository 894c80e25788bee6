// Checks HTTP exchanges against an OpenAPI document: the request must be one
// the document allows (path, path and query parameters, body), the response
// one it describes (status, media type, body schema; NDJSON stream lines one
// by one). Schemas are validated with Ajv in JSON Schema 2020-12 mode, the
// dialect of OpenAPI 3.1.
import assert from "node:assert/strict";
import { type CompiledPattern, RouteTable } from "@ts-gateway/runtime";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

type Doc = Record<string, any>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/** One request sent and the answer that came back. */
export interface Exchange {
  readonly method: string;
  /** Path and query, e.g. `/v1/shelves?pageSize=2`. */
  readonly url: string;
  readonly contentType?: string;
  /** The request body as sent (JSON text, or NDJSON lines). */
  readonly body?: string;
  readonly status: number;
  readonly responseType: string;
  readonly responseText: string;
  /** False for a request sent malformed on purpose: only its answer is checked. */
  readonly requestValid?: boolean;
}

/** An operation of the document, found by method and concrete path. */
interface Found {
  readonly key: string;
  readonly operation: Doc;
  readonly pointer: string;
  readonly params: Record<string, string>;
}

/** A path item's operations as [lower-case method, operation, JSON pointer suffix], custom methods included. */
export function operationsOf(item: Doc): Array<[string, Doc, string]> {
  const out: Array<[string, Doc, string]> = [];
  for (const [key, value] of Object.entries(item)) {
    if (key === "x-custom-methods") {
      for (const [m, op] of Object.entries(value as Doc))
        out.push([m.toLowerCase(), op, `x-custom-methods/${m}`]);
    } else if (!key.startsWith("x-")) {
      out.push([key, value, key]);
    }
  }
  return out;
}

/** JSON Pointer escaping of one token. */
const esc = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

export class SpecChecker {
  readonly doc: Doc;
  readonly #ajv: Ajv2020;
  readonly #id: string;
  readonly #compiled = new Map<string, ValidateFunction>();
  readonly #paths: Array<{ regex: RegExp; names: string[]; path: string }>;
  /** Operation keys (`get /v1/x`) an exchange reached. */
  readonly covered = new Set<string>();

  constructor(doc: Doc, id = "spec") {
    this.doc = doc;
    this.#id = id;
    this.#ajv = new Ajv2020({
      strict: false,
      allErrors: true,
      // A field named like an Object.prototype member (`constructor`) is absent from `{}`.
      ownProperties: true,
    });
    addFormats(this.#ajv);
    for (const f of ["int32", "uint32", "int64", "uint64", "float", "double", "byte"]) {
      this.#ajv.addFormat(f, true);
    }
    this.#ajv.addSchema(doc, id);
    this.#paths = Object.keys(doc.paths).map((path) => {
      const names: string[] = [];
      const multi = new Set(
        operationsOf(doc.paths[path]).flatMap(([, op]) =>
          (op.parameters ?? []).filter((p: Doc) => p["x-multi-segment"]).map((p: Doc) => p.name),
        ),
      );
      const source = path
        .split(/(\{[^}]+\})/)
        .map((part) => {
          if (!part.startsWith("{")) return part.replace(/[.*+?^$()|[\]\\{}]/g, "\\$&");
          const name = part.slice(1, -1);
          names.push(name);
          return multi.has(name) ? "(.+)" : "([^/]+)";
        })
        .join("");
      return { regex: new RegExp(`^${source}$`), names, path };
    });
    // The most literal path first: `/v1/x/{id}:watch` before `/v1/x/{id}`, as the router does.
    const literal = (p: string) => p.replace(/\{[^}]*\}/g, "").length;
    this.#paths.sort((a, b) => literal(b.path) - literal(a.path));
  }

  /** The schema at a JSON pointer into the document, compiled once. */
  #validator(pointer: string): ValidateFunction {
    let v = this.#compiled.get(pointer);
    if (v === undefined) {
      v = this.#ajv.compile({ $ref: `${this.#id}#${pointer}` });
      this.#compiled.set(pointer, v);
    }
    return v;
  }

  #validate(pointer: string, value: unknown, what: string): void {
    const v = this.#validator(pointer);
    if (!v(value)) {
      assert.fail(
        `${what} does not match ${pointer}: ${this.#ajv.errorsText(v.errors)}\n${JSON.stringify(value)}`,
      );
    }
  }

  /** Follows a `$ref` inside the document. */
  #deref(node: Doc): { node: Doc; pointer?: string } {
    if (typeof node.$ref !== "string") return { node };
    const pointer = node.$ref.slice(1);
    let at: any = this.doc;
    for (const token of pointer.split("/").slice(1))
      at = at[token.replace(/~1/g, "/").replace(/~0/g, "~")];
    return { node: at, pointer };
  }

  find(method: string, path: string): Found {
    const m = method.toLowerCase();
    for (const { regex, names, path: key } of this.#paths) {
      const match = regex.exec(path);
      const entry = operationsOf(this.doc.paths[key]).find(([method]) => method === m);
      if (!match || !entry) continue;
      const [, operation, suffix] = entry;
      const params: Record<string, string> = {};
      names.forEach((n, i) => {
        params[n] = decodeURIComponent(match[i + 1]!);
      });
      return { key: `${m} ${key}`, operation, pointer: `/paths/${esc(key)}/${suffix}`, params };
    }
    assert.fail(`no operation in the document for ${method} ${path}`);
  }

  /** Asserts that the document allows the request and describes the response. */
  check(x: Exchange): void {
    const [path = "", query = ""] = x.url.split("?", 2);
    const found = this.find(x.method, path);
    this.covered.add(found.key);
    if (x.requestValid !== false) this.#checkRequest(x, found, query);
    this.#checkResponse(x, found);
  }

  #checkRequest(x: Exchange, found: Found, query: string): void {
    const what = `${x.method} ${x.url}`;
    const op = found.operation;
    const params: Doc[] = op.parameters ?? [];
    // Path parameters: every one present and valid.
    params.forEach((p, i) => {
      if (p.in !== "path") return;
      const raw = found.params[p.name];
      assert.notEqual(raw, undefined, `${what}: path parameter ${p.name}`);
      this.#validate(
        `${found.pointer}/parameters/${i}/schema`,
        coerce(p.schema, raw!),
        `${what}: path parameter ${p.name}`,
      );
    });
    // Query parameters: each one sent is a documented parameter with a valid value.
    for (const [rawKey, value] of new URLSearchParams(query)) {
      const bracket = rawKey.indexOf("[");
      const key = bracket === -1 ? rawKey : rawKey.slice(0, bracket);
      const i = params.findIndex((p) => p.in === "query" && p.name === key);
      assert.notEqual(i, -1, `${what}: query parameter ${key} is not in the document`);
      const p = params[i]!;
      const schema = this.#deref(p.schema).node;
      const sample =
        p.style === "deepObject"
          ? { [rawKey.slice(bracket + 1, -1)]: coerce(schema.additionalProperties ?? {}, value) }
          : schema.type === "array"
            ? [coerce(schema.items, value)]
            : coerce(schema, value);
      this.#validate(`${found.pointer}/parameters/${i}/schema`, sample, `${what}: query ${rawKey}`);
    }
    // Request body.
    if (x.body !== undefined && x.body !== "") {
      assert.ok(op.requestBody, `${what}: the document has no request body for this operation`);
      const content = op.requestBody.content as Doc;
      const type = (x.contentType ?? "application/json").split(";")[0]!.trim();
      const media = content[type] ? type : content["*/*"] ? "*/*" : undefined;
      assert.ok(media, `${what}: request media type ${type} not in ${Object.keys(content)}`);
      if (media !== "*/*") {
        const pointer = `${found.pointer}/requestBody/content/${esc(media)}/schema`;
        const streaming = "application/x-ndjson" in content;
        const values = streaming
          ? x.body
              .split("\n")
              .filter((l) => l.trim() !== "")
              .map((l) => JSON.parse(l))
          : [JSON.parse(x.body)];
        for (const v of values) this.#validate(pointer, v, `${what}: request body`);
      }
    }
  }

  #checkResponse(x: Exchange, found: Found): void {
    const what = `${x.method} ${x.url} → ${x.status}`;
    const op = found.operation;
    // Response: its status (or a range, or default), media type and body.
    const responses = op.responses as Doc;
    const statusKey = [String(x.status), `${String(x.status)[0]}XX`, "default"].find(
      (k) => k in responses,
    );
    assert.ok(statusKey, `${what}: status not in the document (${Object.keys(responses)})`);
    const resolved = this.#deref(responses[statusKey]);
    const base = resolved.pointer ?? `${found.pointer}/responses/${statusKey}`;
    const content = resolved.node.content as Doc | undefined;
    if (x.responseText === "" && (x.method === "HEAD" || x.status === 204)) return;
    assert.ok(content, `${what}: the document describes no body`);
    const type = x.responseType.split(";")[0]!.trim();
    const media = content[type] ? type : content["*/*"] ? "*/*" : undefined;
    assert.ok(media, `${what}: response media type ${type} not in ${Object.keys(content)}`);
    if (media === "*/*" || media === "text/event-stream") return;
    const pointer = `${base}/content/${esc(media)}/schema`;
    const streamed = "text/event-stream" in content;
    const values = streamed
      ? x.responseText
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => JSON.parse(l))
      : [JSON.parse(x.responseText)];
    for (const v of values) this.#validate(pointer, v, `${what}: response`);
  }

  /** Every operation of the document, as `get /v1/x`. */
  operations(): string[] {
    return Object.entries(this.doc.paths as Doc).flatMap(([path, item]) =>
      operationsOf(item).map(([m]) => `${m} ${path}`),
    );
  }
}

/** A path or query string as the typed value its schema describes. */
function coerce(schema: Doc, raw: string): unknown {
  const type = schema?.type;
  if (type === "integer" || type === "number") return Number.isNaN(Number(raw)) ? raw : Number(raw);
  if (type === "boolean")
    return raw === "true" || raw === "1" ? true : raw === "false" || raw === "0" ? false : raw;
  if (schema?.$ref !== undefined || schema?.anyOf !== undefined)
    return /^-?[0-9]+$/.test(raw) &&
      !schema?.$ref?.includes("Value") &&
      schema?.anyOf?.[0]?.type !== "string"
      ? Number(raw)
      : raw;
  return raw;
}

/** A route of a generated `*Routes` table. */
export interface TableRoute {
  readonly rpc: string;
  readonly method: string;
  readonly path: string;
  readonly pattern: CompiledPattern;
}

/**
 * The router and the document describe the same routes: each route has one
 * operation with its template, and each operation's path, filled with sample
 * values, is matched by the router to that operation's route.
 */
export function assertSameRoutes(doc: Doc, routes: readonly TableRoute[]): void {
  const fromRoutes = routes.map((r) => `${r.method} ${r.path}`).sort();
  const fromDoc = Object.values(doc.paths as Doc)
    .flatMap((item) =>
      operationsOf(item as Doc).map(([m, op]) => `${m.toUpperCase()} ${op["x-http-template"]}`),
    )
    .sort();
  assert.deepEqual(fromDoc, fromRoutes, "the document's operations are the router's routes");
  const table = new RouteTable<TableRoute>();
  for (const r of routes) table.add(r.method, r.pattern, r, `${r.method} ${r.path}`);
  for (const [path, item] of Object.entries(doc.paths as Doc)) {
    for (const [m, op] of operationsOf(item as Doc)) {
      const concrete = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        const p = ((op.parameters ?? []) as Doc[]).find((q) => q.name === name && q.in === "path");
        if (p?.["x-multi-segment"]) return "p/q";
        return p?.schema?.type === "integer" ? "7" : `p-${name.replace(/\W/g, "")}`;
      });
      const match = table.match(m.toUpperCase(), concrete);
      assert.equal(match.kind, "match", `${m} ${path} (as ${concrete}) is served by the router`);
      if (match.kind === "match") {
        assert.equal(
          match.value.path,
          op["x-http-template"],
          `${m} ${concrete} reaches ${op.operationId}`,
        );
      }
    }
  }
}
