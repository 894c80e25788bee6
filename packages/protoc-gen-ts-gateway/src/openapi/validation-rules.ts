import {
  create,
  type DescField,
  type DescMessage,
  getOption,
  hasOption,
  isFieldSet,
  type Message,
  ScalarType,
} from "@bufbuild/protobuf";
import { createValidator, type Validator } from "@bufbuild/protovalidate";
import {
  type FieldRules,
  field as fieldRules,
  message as messageRules,
  type Rule,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import type { JsonSchema } from "./schemas.js";

/**
 * The extension listing the CEL rules (`cel`) of a field or message, which
 * JSON Schema cannot express: `[{ id, message, expression }]`.
 */
export const celExtension = "x-buf-validate-cel";

/** A CEL rule as the extension lists it. */
export interface CelRule {
  id: string;
  message?: string;
  expression: string;
}

/**
 * What JSON Schema 2020-12 can say of a field's protovalidate rules, merged
 * into the field's schema (also of the path and query parameters it fills):
 * string lengths, patterns, prefix/suffix/contains, in/not_in/const, formats;
 * number bounds, in/not_in/const; enum in/not_in/const; repeated and map
 * sizes, `unique`, and rules of items, keys and values; bytes lengths (of the
 * base64 text, a bound). CEL rules go to {@link celExtension}.
 */
export function fieldRuleKeywords(field: DescField, schema: JsonSchema): JsonSchema {
  if (!hasOption(field, fieldRules)) return schema;
  const rules = getOption(field, fieldRules);
  switch (field.fieldKind) {
    case "list": {
      const r = rules.type.case === "repeated" ? rules.type.value : undefined;
      const out: JsonSchema = { ...schema };
      if (r !== undefined) {
        if (isFieldSet(r, fieldOf(r, "min_items"))) out.minItems = Number(r.minItems);
        if (isFieldSet(r, fieldOf(r, "max_items"))) out.maxItems = Number(r.maxItems);
        if (r.unique) out.uniqueItems = true;
        if (r.items !== undefined)
          out.items = elementKeywords(r.items, out.items as JsonSchema, field);
      }
      return withCel(out, rules.cel);
    }
    case "map": {
      const r = rules.type.case === "map" ? rules.type.value : undefined;
      const out: JsonSchema = { ...schema };
      if (r !== undefined) {
        if (isFieldSet(r, fieldOf(r, "min_pairs"))) out.minProperties = Number(r.minPairs);
        if (isFieldSet(r, fieldOf(r, "max_pairs"))) out.maxProperties = Number(r.maxPairs);
        if (r.keys !== undefined && field.mapKey === ScalarType.STRING) {
          const keys = elementKeywords(r.keys, {}, field);
          if (Object.keys(keys).length > 0) out.propertyNames = keys;
        }
        if (r.values !== undefined) {
          out.additionalProperties = elementKeywords(
            r.values,
            out.additionalProperties as JsonSchema,
            field,
          );
        }
      }
      return withCel(out, rules.cel);
    }
    default:
      return withCel(elementKeywords(rules, schema, field), rules.cel);
  }
}

/** The keywords of rules on one value (a singular field, or a list item, map key or value). */
function elementKeywords(rules: FieldRules, base: JsonSchema, field: DescField): JsonSchema {
  const out: JsonSchema = "$ref" in base ? { allOf: [base] } : { ...base };
  const t = rules.type;
  switch (t.case) {
    case "string": {
      const r = t.value;
      const set = (name: string) => isFieldSet(r, fieldOf(r, name));
      if (set("const")) out.const = r.const;
      if (set("len")) {
        out.minLength = Number(r.len);
        out.maxLength = Number(r.len);
      }
      if (set("min_len")) out.minLength = Number(r.minLen);
      if (set("max_len")) out.maxLength = Number(r.maxLen);
      const patterns: string[] = [];
      if (set("pattern")) patterns.push(r.pattern);
      if (set("prefix")) patterns.push(`^${escapeRegExp(r.prefix)}`);
      if (set("suffix")) patterns.push(`${escapeRegExp(r.suffix)}$`);
      if (set("contains")) patterns.push(escapeRegExp(r.contains));
      addPatterns(out, patterns);
      if (set("not_contains")) out.not = { pattern: escapeRegExp(r.notContains) };
      if (r.in.length > 0) out.enum = [...r.in];
      if (r.notIn.length > 0) addNot(out, { enum: [...r.notIn] });
      const format = stringFormat(r.wellKnown.case, r.wellKnown.value === true);
      if (format !== undefined) Object.assign(out, format);
      break;
    }
    case "bytes": {
      // The JSON form is base64: n bytes are 4·⌈n/3⌉ characters (padded).
      const r = t.value;
      const set = (name: string) => isFieldSet(r, fieldOf(r, name));
      const chars = (n: bigint) => 4 * Math.ceil(Number(n) / 3);
      if (set("len")) {
        out.minLength = chars(r.len);
        out.maxLength = chars(r.len);
      }
      if (set("min_len")) out.minLength = chars(r.minLen);
      if (set("max_len")) out.maxLength = chars(r.maxLen);
      break;
    }
    case "enum": {
      const r = t.value;
      const e = field.enum;
      const names = (numbers: readonly number[]) => [
        ...numbers.flatMap((n) => e?.values.filter((v) => v.number === n).map((v) => v.name) ?? []),
        ...numbers,
      ];
      if (isFieldSet(r, fieldOf(r, "const"))) out.enum = names([r.const]);
      if (r.in.length > 0) out.enum = names(r.in);
      if (r.notIn.length > 0) addNot(out, { enum: names(r.notIn) });
      // defined_only: the enum's schema lists its defined values already.
      break;
    }
    case "bool":
      if (isFieldSet(t.value, fieldOf(t.value, "const"))) out.const = t.value.const;
      break;
    case "float":
    case "double":
    case "int32":
    case "uint32":
    case "sint32":
    case "fixed32":
    case "sfixed32":
      numberKeywords(out, t.value as NumberRules, false);
      if ((t.case === "float" || t.case === "double") && t.value.finite) {
        delete out.anyOf;
        out.type = "number";
      }
      break;
    case "int64":
    case "uint64":
    case "sint64":
    case "fixed64":
    case "sfixed64":
      // Their JSON form is a string: only const/in/not_in map (bounds stay in the rules).
      numberKeywords(out, t.value as NumberRules, true);
      break;
    default:
      break;
  }
  if (rules.required) requiredKeywords(out, field);
  return out;
}

/** The fields every numeric rules message shares. */
type NumberRules = Message & {
  const: number | bigint;
  lessThan: { case: "lt" | "lte"; value: number | bigint } | { case: undefined };
  greaterThan: { case: "gt" | "gte"; value: number | bigint } | { case: undefined };
  in: Array<number | bigint>;
  notIn: Array<number | bigint>;
};

function numberKeywords(out: JsonSchema, r: NumberRules, asString: boolean): void {
  const value = (n: number | bigint) => (asString ? String(n) : Number(n));
  if (isFieldSet(r, fieldOf(r, "const"))) out.const = value(r.const);
  if (r.in.length > 0) out.enum = r.in.map(value);
  if (r.notIn.length > 0) addNot(out, { enum: r.notIn.map(value) });
  if (asString) return;
  const lower: JsonSchema = {};
  const upper: JsonSchema = {};
  if (r.greaterThan.case === "gt") lower.exclusiveMinimum = Number(r.greaterThan.value);
  if (r.greaterThan.case === "gte") lower.minimum = Number(r.greaterThan.value);
  if (r.lessThan.case === "lt") upper.exclusiveMaximum = Number(r.lessThan.value);
  if (r.lessThan.case === "lte") upper.maximum = Number(r.lessThan.value);
  const lo = r.greaterThan.case === undefined ? undefined : Number(r.greaterThan.value);
  const hi = r.lessThan.case === undefined ? undefined : Number(r.lessThan.value);
  if (lo !== undefined && hi !== undefined && lo > hi) {
    // protovalidate's exclusive range: outside [hi, lo].
    out.anyOf = [...((out.anyOf as JsonSchema[] | undefined) ?? [])];
    addAll(out, { anyOf: [lower, upper] });
    return;
  }
  Object.assign(out, lower, upper);
}

/** A required implicit-presence value must not be the zero value, which JSON may also spell out. */
function requiredKeywords(out: JsonSchema, field: DescField): void {
  if (field.fieldKind !== "scalar") return;
  if (field.scalar === ScalarType.STRING || field.scalar === ScalarType.BYTES) {
    out.minLength = Math.max(1, (out.minLength as number | undefined) ?? 0);
  }
}

function stringFormat(kind: string | undefined, on: boolean): JsonSchema | undefined {
  if (!on) return undefined;
  switch (kind) {
    case "email":
      return { format: "email" };
    case "hostname":
      return { format: "hostname" };
    case "ip":
      return { anyOf: [{ format: "ipv4" }, { format: "ipv6" }] };
    case "ipv4":
      return { format: "ipv4" };
    case "ipv6":
      return { format: "ipv6" };
    case "uri":
      return { format: "uri" };
    case "uriRef":
      return { format: "uri-reference" };
    case "uuid":
      return { format: "uuid" };
    default:
      return undefined;
  }
}

function addPatterns(out: JsonSchema, patterns: string[]): void {
  if (patterns.length === 1) out.pattern = patterns[0];
  else if (patterns.length > 1) addAll(out, ...patterns.map((pattern) => ({ pattern })));
}

function addNot(out: JsonSchema, not: JsonSchema): void {
  if (out.not === undefined) out.not = not;
  else addAll(out, { not });
}

/** Adds subschemas every value must satisfy (`allOf`). */
function addAll(out: JsonSchema, ...schemas: JsonSchema[]): void {
  out.allOf = [...((out.allOf as JsonSchema[] | undefined) ?? []), ...schemas];
}

function withCel(out: JsonSchema, cel: readonly Rule[]): JsonSchema {
  if (cel.length === 0) return out;
  const list = cel.map(celRule);
  if ("$ref" in out && Object.keys(out).length === 1) return { allOf: [out], [celExtension]: list };
  return { ...out, [celExtension]: list };
}

function celRule(r: Rule): CelRule {
  return r.message === ""
    ? { id: r.id, expression: r.expression }
    : { id: r.id, message: r.message, expression: r.expression };
}

/** A message's own CEL rules, for its component schema's {@link celExtension}. */
export function messageCel(desc: DescMessage): CelRule[] {
  if (!hasOption(desc, messageRules)) return [];
  return getOption(desc, messageRules).cel.map(celRule);
}

/** A rules message's field by proto name. */
function fieldOf(message: Message, name: string): DescField {
  const desc = ruleSchemas.get(message.$typeName);
  const f = desc?.fields.find((x) => x.name === name);
  if (f === undefined) throw new Error(`${message.$typeName} has no field ${name}`);
  return f;
}

/** The rules messages' descriptors, by type name (the field rules' file holds them all). */
const ruleSchemas: Map<string, DescMessage> = new Map(
  fieldRules.file.messages.map((m) => [m.typeName, m]),
);

/**
 * The fields of a message whose zero value its rules refuse (a `required`
 * field, an implicit `int32` with `gt: 0`, a string with `min_len: 1`…):
 * proto3 JSON leaves a zero value out, so such a field is `required` in the
 * schema. Found by validating the empty message with protovalidate itself.
 */
export class ZeroValueRules {
  readonly #validator: Validator = createValidator();
  readonly #cache = new Map<string, ReadonlySet<string>>();

  refusesZero(field: DescField): boolean {
    const parent = field.parent;
    let names = this.#cache.get(parent.typeName);
    if (names === undefined) {
      names = this.#refused(parent);
      this.#cache.set(parent.typeName, names);
    }
    return names.has(field.name);
  }

  #refused(desc: DescMessage): ReadonlySet<string> {
    const names = new Set<string>();
    if (!desc.fields.some((f) => hasOption(f, fieldRules))) return names;
    const result = this.#validator.validate(desc, create(desc));
    if (result.kind !== "invalid") return names;
    for (const v of result.violations) {
      const first = v.field[0];
      if (v.field.length === 1 && first?.kind === "field") names.add(first.name);
    }
    return names;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
