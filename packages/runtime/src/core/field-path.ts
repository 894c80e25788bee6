import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { hasCustomJsonRepresentation } from "@bufbuild/protobuf/wkt";
import { fail, ok, type ParseResult } from "./scalar-json.js";

/** A JSON object being built for `fromJson`. */
export type JsonObject = Record<string, unknown>;

const fieldsByName = new WeakMap<DescMessage, Map<string, DescField>>();

/**
 * Finds a field of a message by its proto name (`page_size`) or its JSON
 * name (`pageSize`). The lookup table is built once per message.
 */
export function findField(message: DescMessage, name: string): DescField | undefined {
  let byName = fieldsByName.get(message);
  if (byName === undefined) {
    byName = new Map();
    for (const f of message.fields) byName.set(f.jsonName, f);
    // Proto names win over a JSON name that happens to be equal.
    for (const f of message.fields) byName.set(f.name, f);
    fieldsByName.set(message, byName);
  }
  return byName.get(name);
}

/** Outcome of resolving a dotted field path against a message. */
export type FieldPathResult =
  | { ok: true; fields: DescField[] }
  /**
   * `unknown`: a segment names no field. Otherwise the path is malformed or
   * walks through something that is not a message. `fields` holds the fields
   * resolved before the failing segment.
   */
  | { ok: false; unknown: boolean; fields: DescField[]; message: string };

/**
 * Resolves a dotted path (`book.author_name`, `book.authorName`) to its chain
 * of fields, each segment by proto or JSON name. Every field but the last
 * must be a singular message field with an object JSON form (no lists, maps,
 * scalars or well-known types with a custom JSON form such as Timestamp on
 * the way).
 */
export function resolveFieldPath(schema: DescMessage, path: string): FieldPathResult {
  const fields: DescField[] = [];
  let message = schema;
  let start = 0;
  for (;;) {
    let end = path.indexOf(".", start);
    if (end < 0) end = path.length;
    if (end === start) {
      return { ok: false, unknown: false, fields, message: "empty segment in field path" };
    }
    const name = path.slice(start, end);
    const field = findField(message, name);
    if (field === undefined) {
      return {
        ok: false,
        unknown: true,
        fields,
        message: `no field "${name}" in ${message.typeName}`,
      };
    }
    fields.push(field);
    if (end === path.length) return { ok: true, fields };
    const reason = notTraversable(field);
    if (reason !== undefined) return { ok: false, unknown: false, fields, message: reason };
    message = field.message!;
    start = end + 1;
  }
}

/** Why a path cannot continue past this field, or undefined if it can. */
function notTraversable(field: DescField): string | undefined {
  switch (field.fieldKind) {
    case "message":
      return hasCustomJsonRepresentation(field.message)
        ? `field "${field.name}" is a ${field.message.typeName}; its parts cannot be addressed`
        : undefined;
    case "list":
      return `field "${field.name}" is repeated; its elements cannot be addressed`;
    case "map":
      return `field "${field.name}" is a map; address entries as ${field.name}[key]`;
    default:
      return `field "${field.name}" is not a message`;
  }
}

/** Reads an own property (never one inherited from a prototype). */
export function getOwn(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets an own property, also for the key `__proto__`. */
export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[key] = value;
  }
}

/** A new prototype-less JSON object. */
export function newObject(): JsonObject {
  return Object.create(null) as JsonObject;
}

/** The key under which the object holds a field (JSON name first), if any. */
export function presentKey(obj: JsonObject, field: DescField): string | undefined {
  if (Object.hasOwn(obj, field.jsonName)) return field.jsonName;
  if (field.name !== field.jsonName && Object.hasOwn(obj, field.name)) return field.name;
  return undefined;
}

/** Another member of the field's oneof present in the object, if any. */
export function oneofRival(obj: JsonObject, field: DescField): DescField | undefined {
  if (field.oneof === undefined) return undefined;
  for (const other of field.oneof.fields) {
    if (other !== field && presentKey(obj, other) !== undefined) {
      // A JSON null does not set a scalar oneof member (fromJson skips it).
      const v = obj[presentKey(obj, other)!];
      if (v === null && other.fieldKind !== "message") continue;
      return other;
    }
  }
  return undefined;
}

/** Removes every alias (JSON name and proto name) of a field from the object. */
export function deleteField(obj: JsonObject, field: DescField): void {
  delete obj[field.jsonName];
  delete obj[field.name];
}

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Walks the message fields of a resolved path (all but the last field) from
 * `root`, reusing the object already present under either alias and creating
 * prototype-less objects where none is. Fails when a step meets another
 * member of its oneof, or a value that is not an object (unless `replace`,
 * which overwrites such a value: path variables win over the body).
 * Returns the object that holds the last field.
 */
export function enterParents(
  root: JsonObject,
  fields: readonly DescField[],
  replace: boolean,
): ParseResult<JsonObject> {
  let obj = root;
  for (let i = 0; i < fields.length - 1; i++) {
    const field = fields[i]!;
    const key = presentKey(obj, field);
    if (key !== undefined) {
      const existing = obj[key];
      if (isPlainObject(existing)) {
        obj = existing;
        continue;
      }
      if (!replace && existing !== null) {
        return fail(`field "${field.name}" is already set to a value that is not a message`);
      }
      deleteField(obj, field);
    }
    const rival = oneofRival(obj, field);
    if (rival !== undefined) return fail(oneofConflict(field, rival));
    const child = newObject();
    setOwn(obj, field.jsonName, child);
    obj = child;
  }
  return ok(obj);
}

/** The message for two members of one oneof. */
export function oneofConflict(field: DescField, rival: DescField): string {
  return `fields "${rival.name}" and "${field.name}" are both members of oneof "${field.oneof?.name}"; only one can be set`;
}

/** Joins proto names of a field chain with dots. */
export function protoPath(fields: readonly DescField[]): string {
  let s = fields[0]?.name ?? "";
  for (let i = 1; i < fields.length; i++) s += `.${fields[i]!.name}`;
  return s;
}
