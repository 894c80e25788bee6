import type { DescEnum, DescField, DescMessage, JsonValue } from "@bufbuild/protobuf";
import { messagePlan, type PlannedField, rewriteFields } from "./json-field-plan.js";

/**
 * Enum names as clients may spell them: case-insensitively (Envoy's
 * `case_insensitive_enum_parsing`) and without the enum's prefix (ASP.NET's
 * `RemoveEnumPrefix`: `RED` for `COLOR_RED` of `enum Color`). Request JSON is
 * rewritten to the declared names before the codec reads it; with
 * `removePrefix`, response JSON is written with the short names. The work a
 * schema needs (which fields hold enums, each enum's names) is done once per
 * type.
 * @internal
 */
export class EnumNames {
  readonly #caseInsensitive: boolean;
  readonly #removePrefix: boolean;
  readonly #lookups = new Map<DescEnum, Map<string, string>>();
  readonly #short = new Map<DescEnum, Map<string, string>>();
  readonly #plans = new Map<DescMessage, EnumPlan | null>();

  constructor(caseInsensitive: boolean, removePrefix: boolean) {
    this.#caseInsensitive = caseInsensitive;
    this.#removePrefix = removePrefix;
  }

  /** Whether response names are written without their prefix. */
  get removesPrefix(): boolean {
    return this.#removePrefix;
  }

  /** The declared name a client's spelling stands for, or undefined when it names no value. */
  canonical(desc: DescEnum, name: string): string | undefined {
    const lookup = this.#lookup(desc);
    return lookup.get(name) ?? (this.#caseInsensitive ? lookup.get(name.toLowerCase()) : undefined);
  }

  /** Rewrites the enum names of request JSON for `schema` to their declared form, in place. */
  readRequest(schema: DescMessage, json: JsonValue): void {
    const plan = this.#plan(schema);
    if (plan !== null) this.#walk(plan, json, (desc, v) => this.canonical(desc, v) ?? v);
  }

  /** Rewrites the enum names of response JSON for `schema` to their short form, in place. */
  writeResponse(schema: DescMessage, json: JsonValue): void {
    const plan = this.#plan(schema);
    if (plan !== null) this.#walk(plan, json, (desc, v) => this.#shortName(desc, v));
  }

  #walk(plan: EnumPlan, json: JsonValue, map: (desc: DescEnum, name: string) => string): void {
    rewriteFields(json, plan.fields, (f, v) => {
      if (f.enum !== undefined) return typeof v === "string" ? map(f.enum, v) : v;
      if (f.child !== undefined) this.#walk(f.child, v, map);
      return v;
    });
  }

  #lookup(desc: DescEnum): Map<string, string> {
    let lookup = this.#lookups.get(desc);
    if (lookup !== undefined) return lookup;
    lookup = new Map();
    const add = (spelling: string, name: string) => {
      if (!lookup!.has(spelling)) lookup!.set(spelling, name);
      if (this.#caseInsensitive && !lookup!.has(spelling.toLowerCase())) {
        lookup!.set(spelling.toLowerCase(), name);
      }
    };
    for (const v of desc.values) add(v.name, v.name);
    if (this.#removePrefix) {
      for (const v of desc.values) {
        const short = withoutPrefix(desc, v.name);
        if (short !== undefined) add(short, v.name);
      }
    }
    this.#lookups.set(desc, lookup);
    return lookup;
  }

  #shortName(desc: DescEnum, name: string): string {
    let short = this.#short.get(desc);
    if (short === undefined) {
      short = new Map(desc.values.map((v) => [v.name, withoutPrefix(desc, v.name) ?? v.name]));
      this.#short.set(desc, short);
    }
    return short.get(name) ?? name;
  }

  #plan(schema: DescMessage): EnumPlan | null {
    return messagePlan(
      this.#plans,
      schema,
      () => ({ fields: [] }),
      (field) => this.#fieldPlan(field),
    );
  }

  #fieldPlan(field: DescField): FieldPlan | undefined {
    const base = { jsonName: field.jsonName, protoName: field.name };
    let kind: FieldPlan["kind"] = "single";
    let desc: DescEnum | undefined;
    let message: DescMessage | undefined;
    switch (field.fieldKind) {
      case "enum":
        desc = field.enum;
        break;
      case "message":
        message = field.message;
        break;
      case "list":
        kind = "list";
        desc = field.listKind === "enum" ? field.enum : undefined;
        message = field.listKind === "message" ? field.message : undefined;
        break;
      case "map":
        kind = "map";
        desc = field.mapKind === "enum" ? field.enum : undefined;
        message = field.mapKind === "message" ? field.message : undefined;
        break;
      default:
        return undefined;
    }
    if (desc !== undefined) {
      return desc.typeName === "google.protobuf.NullValue"
        ? undefined
        : { ...base, kind, enum: desc, child: undefined };
    }
    if (message === undefined || message.typeName.startsWith("google.protobuf.")) return undefined;
    const child = this.#plan(message);
    return child === null ? undefined : { ...base, kind, enum: undefined, child };
  }
}

interface EnumPlan {
  readonly fields: FieldPlan[];
}

interface FieldPlan extends PlannedField {
  readonly enum: DescEnum | undefined;
  readonly child: EnumPlan | undefined;
}

/**
 * A value's name without its enum's prefix (`COLOR_RED` of `Color` → `RED`),
 * or undefined when it has none or what is left would not be a name.
 */
function withoutPrefix(desc: DescEnum, name: string): string | undefined {
  const prefix = `${desc.name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^[A-Za-z_]/.test(rest) ? rest : undefined;
}
