import { type DescField, type DescMessage, type JsonValue, ScalarType } from "@bufbuild/protobuf";
import { messagePlan, type PlannedField, rewriteFields } from "./json-field-plan.js";

/**
 * Writes a message's 64-bit integers as JSON numbers instead of the proto3
 * JSON strings (ASP.NET's `WriteInt64sAsStrings: false`), with every digit
 * kept: a number past 2^53 is not rounded through a double. The JSON value of
 * the message is walked along its schema (only where 64-bit fields can be,
 * worked out once per message type); each such string is marked, and the
 * marks are replaced by the bare digits once the text is written. The mark
 * holds a random token, so no string a backend sends can pose as one.
 * `google.protobuf.Any` contents are left as they are.
 * @internal
 */
export class Int64Numbers {
  readonly #plans = new Map<DescMessage, Plan | null>();
  readonly #mark = `\u0001i64:${Math.random().toString(36).slice(2)}${Date.now().toString(36)}:`;
  readonly #marks = new RegExp(`"\\\\u0001${this.#mark.slice(1)}(-?[0-9]+)"`, "g");

  /** True when a message of `schema` can hold a 64-bit integer anywhere. */
  applies(schema: DescMessage): boolean {
    return this.#plan(schema) !== null;
  }

  /** Marks the 64-bit strings in `json`, a message of `schema` (in place; the value is the codec's fresh output). */
  mark(schema: DescMessage, json: JsonValue): JsonValue {
    const plan = this.#plan(schema);
    if (plan === null) return json;
    if (plan.leaf) return this.#markValue(json);
    this.#markMessage(plan, json);
    return json;
  }

  /** The text with each mark replaced by its digits. */
  unmark(text: string): string {
    return text.includes("\\u0001") ? text.replace(this.#marks, "$1") : text;
  }

  #markValue(value: JsonValue): JsonValue {
    return typeof value === "string" ? this.#mark + value : value;
  }

  #markMessage(plan: Plan, json: JsonValue): void {
    rewriteFields(json, plan.fields, (f, v) => {
      if (f.child === undefined || f.child.leaf) return this.#markValue(v);
      this.#markMessage(f.child, v);
      return v;
    });
  }

  #plan(schema: DescMessage): Plan | null {
    if (wrappers.has(schema.typeName)) return wrapperPlan;
    return messagePlan(
      this.#plans,
      schema,
      () => ({ leaf: false, fields: [] }),
      (field) => this.#fieldPlan(field),
    );
  }

  #fieldPlan(field: DescField): FieldPlan | undefined {
    const base = { jsonName: field.jsonName, protoName: field.name };
    switch (field.fieldKind) {
      case "scalar":
        return is64(field.scalar) ? { ...base, kind: "single", child: undefined } : undefined;
      case "list":
        if (field.listKind === "scalar") {
          return is64(field.scalar) ? { ...base, kind: "list", child: undefined } : undefined;
        }
        if (field.listKind === "message") return this.#messageField(base, "list", field.message);
        return undefined;
      case "map":
        if (field.mapKind === "scalar") {
          return is64(field.scalar) ? { ...base, kind: "map", child: undefined } : undefined;
        }
        if (field.mapKind === "message") return this.#messageField(base, "map", field.message);
        return undefined;
      case "message":
        return this.#messageField(base, "single", field.message);
      default:
        return undefined;
    }
  }

  #messageField(
    base: { jsonName: string; protoName: string },
    kind: FieldPlan["kind"],
    message: DescMessage,
  ): FieldPlan | undefined {
    const child = this.#plan(message);
    return child === null ? undefined : { ...base, kind, child };
  }
}

interface Plan {
  /** An Int64Value/UInt64Value: the value itself is the string. */
  readonly leaf: boolean;
  readonly fields: FieldPlan[];
}

interface FieldPlan extends PlannedField {
  /** The plan of a message-typed field; undefined for a 64-bit scalar. */
  readonly child: Plan | undefined;
}

const wrappers = new Set(["google.protobuf.Int64Value", "google.protobuf.UInt64Value"]);
const wrapperPlan: Plan = { leaf: true, fields: [] };

function is64(type: ScalarType): boolean {
  switch (type) {
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return true;
    default:
      return false;
  }
}
