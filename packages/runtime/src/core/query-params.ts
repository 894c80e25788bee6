import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import type { EnumNames } from "./enum-names.js";
import {
  enterParents,
  getOwn,
  type JsonObject,
  newObject,
  oneofConflict,
  oneofRival,
  presentKey,
  protoPath,
  resolveFieldPath,
  setOwn,
} from "./field-path.js";
import {
  enumFromString,
  fail,
  type JsonValueParser,
  mapKeyFromString,
  type ParseResult,
  quote,
  valueParserFor,
} from "./scalar-json.js";

/** How query parameters map onto a route's request message. */
export interface QueryOptions {
  /**
   * Field paths (dotted, proto or JSON names) that must not come from the
   * query: the path-bound fields and the body field. A parameter whose field
   * path starts with one of them is ignored, like grpc-gateway's filter.
   * `"*"` (body `*`) ignores the query completely.
   */
  readonly exclude: ReadonlySet<string>;
  /** Answer an unknown parameter with an error instead of ignoring it. */
  readonly rejectUnknown: boolean;
  /**
   * Parameter names (the part before any `[map key]`, as sent) skipped
   * whatever they name, e.g. `api_key` (Envoy's `ignored_query_parameters`).
   */
  readonly ignored?: ReadonlySet<string> | undefined;
  /** Enum names as clients may spell them (case, prefix). */
  readonly enumNames?: EnumNames | undefined;
  /**
   * The name (proto or JSON) of a top-level `map<string, string>` field that
   * takes the parameters naming no field (Envoy's
   * `capture_unknown_query_parameters`), when the message has it.
   */
  readonly capture?: string | undefined;
}

/** Where one query key (without its `[map key]` part) goes. */
type Target =
  | { kind: "set"; fields: DescField[]; leaf: DescField; parse: JsonValueParser | undefined }
  | { kind: "capture" }
  | { kind: "skip" }
  | { kind: "error"; prefix: string; reason: string };

/**
 * A route's query parsing, prepared once by {@link compileQueryPlan} and
 * reused for every request.
 */
export interface QueryPlan {
  readonly schema: DescMessage;
  /** @internal */
  readonly ignoreAll: boolean;
  /** @internal proto-name paths to ignore */
  readonly excluded: ReadonlySet<string>;
  /** @internal */
  readonly rejectUnknown: boolean;
  /** @internal names skipped as sent */
  readonly ignored: ReadonlySet<string>;
  /** @internal */
  readonly enumNames: EnumNames | undefined;
  /** @internal the map<string, string> field unknown parameters go to */
  readonly capture: DescField | undefined;
  /** @internal resolved keys, bounded */
  readonly targets: Map<string, Target>;
}

/**
 * Resolved keys of known fields kept per plan (recursive messages have
 * endless paths); beyond it keys are resolved per request.
 */
const MAX_CACHED_KEYS = 512;

const OK: ParseResult<void> = Object.freeze({ ok: true, value: undefined });
/** A known field the route excludes; cached. */
const EXCLUDED: Target = { kind: "skip" };
/** An unknown key; not cached, so unknown keys cannot fill the cache. */
const UNKNOWN: Target = { kind: "skip" };
/** An unknown key the plan captures; not cached either. */
const CAPTURE: Target = { kind: "capture" };
/** A name the `ignored` option lists; cached (the list bounds them). */
const IGNORED: Target = { kind: "skip" };

/**
 * Prepares query parsing for a route. Throws when an excluded path names no
 * field of the schema: that is a route configuration error.
 */
export function compileQueryPlan(schema: DescMessage, options: QueryOptions): QueryPlan {
  const excluded = new Set<string>();
  for (const path of options.exclude) {
    if (path === "*") continue;
    const r = resolveFieldPath(schema, path);
    if (!r.ok) {
      throw new Error(
        `cannot exclude "${path}" from the query of ${schema.typeName}: ${r.message}`,
      );
    }
    excluded.add(protoPath(r.fields));
  }
  return {
    schema,
    ignoreAll: options.exclude.has("*"),
    excluded,
    rejectUnknown: options.rejectUnknown,
    ignored: options.ignored ?? new Set(),
    enumNames: options.enumNames,
    capture: captureField(schema, options.capture),
    targets: new Map(),
  };
}

const plans = new WeakMap<QueryOptions, QueryPlan>();

/**
 * Merges a raw query string (without `?`, `application/x-www-form-urlencoded`)
 * into the proto3 JSON object `json` for `schema`. The plan is compiled on
 * first use and cached per `options` object, so pass the same object for a
 * route on every request (or use {@link compileQueryPlan} and
 * {@link applyQueryPlan}).
 *
 * Call it after the path variables are applied, so oneof conflicts between
 * the two are reported.
 */
export function applyQueryParams(
  schema: DescMessage,
  json: JsonObject,
  query: string,
  options: QueryOptions,
): ParseResult<void> {
  let plan = plans.get(options);
  if (plan === undefined || plan.schema !== schema) {
    plan = compileQueryPlan(schema, options);
    plans.set(options, plan);
  }
  return applyQueryPlan(plan, json, query);
}

/**
 * Merges a raw query string into `json` following a compiled plan.
 *
 * - Keys by proto or JSON name, nested with dots (`book.author_name=`).
 * - Repeated fields by repetition (`tag=a&tag=b`); maps as `labels[key]=v`.
 * - Empty pairs (`a&&b`) and pairs with an empty key (`=x`) are skipped.
 * - Malformed keys are errors: an empty segment (`.a`, `a..b`, `a.`), an
 *   empty path (`[k]`), brackets not of the form `path[key]`, or a bad
 *   percent escape.
 * - Unknown keys are skipped, or errors with `rejectUnknown`.
 * - Errors: a second value for a singular field or map key, two members of
 *   one oneof, a value that does not parse, a key that walks into a scalar,
 *   a list or a map, and message-typed fields (other than the well-known
 *   types with a string form), lists of messages and maps of messages.
 */
export function applyQueryPlan(
  plan: QueryPlan,
  json: JsonObject,
  query: string,
): ParseResult<void> {
  if (plan.ignoreAll || query === "") return OK;
  const len = query.length;
  let start = 0;
  while (start <= len) {
    let end = query.indexOf("&", start);
    if (end < 0) end = len;
    if (end > start) {
      const r = applyPair(plan, json, query, start, end);
      if (!r.ok) return r;
    }
    start = end + 1;
  }
  return OK;
}

function applyPair(
  plan: QueryPlan,
  json: JsonObject,
  query: string,
  start: number,
  end: number,
): ParseResult<void> {
  let eq = start;
  while (eq < end && query.charCodeAt(eq) !== 61 /* = */) eq++;
  const rawKey = query.slice(start, eq);
  const key = formDecode(rawKey);
  if (key === undefined) {
    return fail(`malformed query parameter ${quote(rawKey)}: invalid percent-encoding`);
  }
  if (key === "") return OK;
  let path = key;
  let mapKey: string | undefined;
  const bracket = key.indexOf("[");
  if (bracket >= 0) {
    if (key.charCodeAt(key.length - 1) !== 93 /* ] */ || bracket === 0) {
      return fail(`malformed query parameter ${quote(key)}: expected the form field[key]`);
    }
    path = key.slice(0, bracket);
    mapKey = key.slice(bracket + 1, key.length - 1);
  } else if (key.indexOf("]") >= 0) {
    return fail(`malformed query parameter ${quote(key)}: expected the form field[key]`);
  }
  const target = targetOf(plan, path);
  if (target.kind === "skip") return OK;
  if (target.kind === "error") return fail(`${target.prefix} ${quote(key)}: ${target.reason}`);
  const value = formDecode(query.slice(eq + 1, end));
  if (value === undefined) {
    return fail(`malformed query parameter ${quote(key)}: invalid percent-encoding in the value`);
  }
  if (target.kind === "capture") return capture(json, plan.capture as DescField, key, value);
  return setTarget(json, target.fields, target.leaf, target.parse, key, mapKey, value);
}

function targetOf(plan: QueryPlan, path: string): Target {
  let target = plan.targets.get(path);
  if (target === undefined) {
    target = resolveTarget(plan, path);
    const known = target.kind === "set" || target === EXCLUDED || target === IGNORED;
    if (known && plan.targets.size < MAX_CACHED_KEYS) plan.targets.set(path, target);
  }
  return target;
}

/** Resolves a key's field path (the part before any `[map key]`). */
function resolveTarget(plan: QueryPlan, path: string): Target {
  if (plan.ignored.has(path)) return IGNORED;
  if (
    path.charCodeAt(0) === 46 ||
    path.charCodeAt(path.length - 1) === 46 ||
    path.indexOf("..") >= 0
  ) {
    return {
      kind: "error",
      prefix: "malformed query parameter",
      reason: "empty segment in field path",
    };
  }
  const r = resolveFieldPath(plan.schema, path);
  // Ignore parameters under an excluded path (bound in the path or body).
  let prefix = "";
  for (const f of r.fields) {
    prefix = prefix === "" ? f.name : `${prefix}.${f.name}`;
    if (plan.excluded.has(prefix)) return EXCLUDED;
  }
  if (!r.ok) {
    if (!r.unknown) return { kind: "error", prefix: "invalid query parameter", reason: r.message };
    if (plan.capture !== undefined) return CAPTURE;
    return plan.rejectUnknown
      ? { kind: "error", prefix: "unknown query parameter", reason: r.message }
      : UNKNOWN;
  }
  const leaf = r.fields[r.fields.length - 1]!;
  const names = plan.enumNames;
  const desc = leaf.enum;
  const parse =
    names !== undefined && desc !== undefined
      ? (raw: string) => enumFromString(desc, names.canonical(desc, raw) ?? raw)
      : valueParserFor(leaf);
  return { kind: "set", fields: r.fields, leaf, parse };
}

function setTarget(
  json: JsonObject,
  fields: DescField[],
  leaf: DescField,
  parse: JsonValueParser | undefined,
  key: string,
  mapKey: string | undefined,
  raw: string,
): ParseResult<void> {
  if (mapKey !== undefined && leaf.fieldKind !== "map") {
    return fail(`invalid query parameter ${quote(key)}: field "${leaf.name}" is not a map`);
  }
  if (parse === undefined) return fail(unsupported(key, leaf));
  const parsed = parse(raw);
  if (!parsed.ok) {
    return fail(`invalid value ${quote(raw)} for query parameter ${quote(key)}: ${parsed.message}`);
  }
  const parent = enterParents(json, fields, false);
  if (!parent.ok) return fail(`invalid query parameter ${quote(key)}: ${parent.message}`);
  const obj = parent.value;
  const present = presentKey(obj, leaf);
  switch (leaf.fieldKind) {
    case "list": {
      const list = present === undefined ? undefined : obj[present];
      if (Array.isArray(list)) {
        list.push(parsed.value);
      } else {
        setOwn(obj, leaf.jsonName, [parsed.value]);
      }
      return OK;
    }
    case "map": {
      if (mapKey === undefined) {
        return fail(
          `invalid query parameter ${quote(key)}: field "${leaf.name}" is a map; use ${key}[key]=value`,
        );
      }
      const k = mapKeyFromString(leaf.mapKey, mapKey);
      if (!k.ok) {
        return fail(
          `invalid map key ${quote(mapKey)} in query parameter ${quote(key)}: ${k.message}`,
        );
      }
      let map = present === undefined ? undefined : getOwn(obj, present);
      if (typeof map !== "object" || map === null || Array.isArray(map)) {
        map = newObject();
        setOwn(obj, leaf.jsonName, map);
      }
      const entries = map as JsonObject;
      if (Object.hasOwn(entries, k.value)) {
        return fail(
          `multiple values for map key ${quote(mapKey)} in query parameter ${quote(key)}`,
        );
      }
      setOwn(entries, k.value, parsed.value);
      return OK;
    }
    default: {
      if (present !== undefined) {
        return fail(`multiple values for query parameter ${quote(key)}: the field is not repeated`);
      }
      const rival = oneofRival(obj, leaf);
      if (rival !== undefined) {
        return fail(`invalid query parameter ${quote(key)}: ${oneofConflict(leaf, rival)}`);
      }
      setOwn(obj, leaf.jsonName, parsed.value);
      return OK;
    }
  }
}

/** The capture field named `name`: a top-level map<string, string>, or undefined when the message has none. */
function captureField(schema: DescMessage, name: string | undefined): DescField | undefined {
  if (name === undefined) return undefined;
  const field = schema.fields.find((f) => f.name === name || f.jsonName === name);
  return field?.fieldKind === "map" &&
    field.mapKey === ScalarType.STRING &&
    field.mapKind === "scalar" &&
    field.scalar === ScalarType.STRING
    ? field
    : undefined;
}

/** Puts an unknown parameter into the capture map; a second value for one key is an error. */
function capture(
  json: JsonObject,
  field: DescField,
  key: string,
  value: string,
): ParseResult<void> {
  const present = presentKey(json, field);
  let map = present === undefined ? undefined : getOwn(json, present);
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    map = newObject();
    setOwn(json, field.jsonName, map);
  }
  const entries = map as JsonObject;
  if (Object.hasOwn(entries, key)) {
    return fail(`multiple values for query parameter ${quote(key)}`);
  }
  setOwn(entries, key, value);
  return OK;
}

function unsupported(key: string, leaf: DescField): string {
  const typeName = leaf.message?.typeName ?? "";
  switch (leaf.fieldKind) {
    case "list":
      return `query parameter ${quote(key)}: repeated message fields (${typeName}) cannot be set from the query`;
    case "map":
      return `query parameter ${quote(key)}: maps of messages (${typeName}) cannot be set from the query`;
    default:
      return `query parameter ${quote(key)}: message field of type ${typeName} cannot be set as a whole from the query; set its fields (${key}.<field>=...)`;
  }
}

/**
 * Decodes one `application/x-www-form-urlencoded` component: `+` is a space,
 * `%XX` escapes are UTF-8. Returns undefined for a malformed escape or
 * invalid UTF-8.
 */
export function formDecode(s: string): string | undefined {
  const plus = s.indexOf("+") >= 0;
  if (s.indexOf("%") < 0) return plus ? s.replaceAll("+", " ") : s;
  try {
    return decodeURIComponent(plus ? s.replaceAll("+", " ") : s);
  } catch {
    return undefined;
  }
}
