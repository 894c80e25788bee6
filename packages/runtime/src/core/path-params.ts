import type { DescField, DescMessage, JsonValue } from "@bufbuild/protobuf";
import type { EnumNames } from "./enum-names.js";
import {
  deleteField,
  enterParents,
  type JsonObject,
  oneofConflict,
  oneofRival,
  resolveFieldPath,
  setOwn,
} from "./field-path.js";
import {
  fail,
  type JsonValueParser,
  type ParseResult,
  quote,
  valueParserFor,
} from "./scalar-json.js";

/** A path variable: its field path (dotted, proto or JSON names) and its decoded value. */
export type PathParam = readonly [fieldPath: string, raw: string];

interface Binding {
  readonly fields: DescField[];
  readonly leaf: DescField;
  readonly parse: JsonValueParser;
}

const bindings = new WeakMap<DescMessage, Map<string, Binding>>();

const OK: ParseResult<void> = Object.freeze({ ok: true, value: undefined });

/**
 * Sets path variables (already percent-decoded by the router) into the proto3
 * JSON object `json` for `schema`. Path values win over the body: every alias
 * of the field (JSON and proto name) is removed before the value is set, and
 * intermediate objects are created as needed. A repeated field takes a
 * list separated by `separator` (default `,`), like grpc-gateway.
 *
 * Returns an error for a value that does not parse or for a field whose oneof
 * already has another member set (by the body). Throws for a field path the
 * schema does not have or that cannot be bound (a map, or a message without a
 * string form): that is a route configuration error.
 */
export function applyPathParams(
  schema: DescMessage,
  json: JsonObject,
  params: ReadonlyArray<PathParam>,
  separator = ",",
  enumNames?: EnumNames,
): ParseResult<void> {
  for (const [path, raw] of params) {
    const b = bindingOf(schema, path);
    const desc = enumNames === undefined ? undefined : b.leaf.enum;
    const parse =
      desc === undefined
        ? b.parse
        : (item: string) => b.parse(enumNames?.canonical(desc, item) ?? item);
    let value: JsonValue;
    if (b.leaf.fieldKind === "list") {
      const items: JsonValue[] = [];
      for (const item of raw.split(separator)) {
        const r = parse(item);
        if (!r.ok) return invalid(item, path, r.message);
        items.push(r.value);
      }
      value = items;
    } else {
      const r = parse(raw);
      if (!r.ok) return invalid(raw, path, r.message);
      value = r.value;
    }
    const parent = enterParents(json, b.fields, true);
    if (!parent.ok) return fail(`invalid path variable ${quote(path)}: ${parent.message}`);
    const obj = parent.value;
    deleteField(obj, b.leaf);
    const rival = oneofRival(obj, b.leaf);
    if (rival !== undefined) {
      return fail(`invalid path variable ${quote(path)}: ${oneofConflict(b.leaf, rival)}`);
    }
    setOwn(obj, b.leaf.jsonName, value);
  }
  return OK;
}

function invalid(raw: string, path: string, reason: string): ParseResult<void> {
  return fail(`invalid value ${quote(raw)} for path variable ${quote(path)}: ${reason}`);
}

function bindingOf(schema: DescMessage, path: string): Binding {
  let bySchema = bindings.get(schema);
  if (bySchema === undefined) {
    bySchema = new Map();
    bindings.set(schema, bySchema);
  }
  let b = bySchema.get(path);
  if (b === undefined) {
    b = compileBinding(schema, path);
    bySchema.set(path, b);
  }
  return b;
}

function compileBinding(schema: DescMessage, path: string): Binding {
  const r = resolveFieldPath(schema, path);
  const where = `path variable "${path}" of ${schema.typeName}`;
  if (!r.ok) throw new Error(`cannot bind ${where}: ${r.message}`);
  const leaf = r.fields[r.fields.length - 1]!;
  if (leaf.fieldKind === "map") throw new Error(`cannot bind ${where}: it is a map`);
  const parse = valueParserFor(leaf);
  if (parse === undefined) {
    throw new Error(`cannot bind ${where}: ${leaf.message?.typeName} has no string form`);
  }
  return { fields: r.fields, leaf, parse };
}
