import type { DescField, DescMessage, JsonValue } from "@bufbuild/protobuf";

/**
 * A field of a message's JSON that a rewrite visits (the mux's int64 and
 * enum-name options): the two keys it may be written under and its shape.
 * @internal
 */
export interface PlannedField {
  readonly jsonName: string;
  readonly protoName: string;
  readonly kind: "single" | "list" | "map";
}

/**
 * The fields of `schema` that `fieldPlan` keeps, worked out once per message
 * type and kept in `plans`; null when it keeps none. A recursive type gets
 * the plan still being built (filled in by the time it is used).
 * @internal
 */
export function messagePlan<F, P extends { readonly fields: F[] }>(
  plans: Map<DescMessage, P | null>,
  schema: DescMessage,
  empty: () => P,
  fieldPlan: (field: DescField) => F | undefined,
): P | null {
  const known = plans.get(schema);
  if (known !== undefined) return known;
  const plan = empty();
  plans.set(schema, plan);
  for (const field of schema.fields) {
    const entry = fieldPlan(field);
    if (entry !== undefined) plan.fields.push(entry);
  }
  if (plan.fields.length === 0) {
    plans.set(schema, null);
    return null;
  }
  return plan;
}

/**
 * Replaces, in the JSON object `json` (in place), each value of each planned
 * field — each element of a list, each value of a map — by
 * `visit(field, value)`. Anything but an object is left alone.
 * @internal
 */
export function rewriteFields<F extends PlannedField>(
  json: JsonValue,
  fields: readonly F[],
  visit: (field: F, value: JsonValue) => JsonValue,
): void {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return;
  for (const f of fields) {
    const key = Object.hasOwn(json, f.jsonName)
      ? f.jsonName
      : Object.hasOwn(json, f.protoName)
        ? f.protoName
        : undefined;
    if (key === undefined) continue;
    const value = json[key] as JsonValue;
    if (f.kind === "list" && Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = visit(f, value[i] as JsonValue);
    } else if (f.kind === "map" && value !== null && typeof value === "object") {
      const record = value as Record<string, JsonValue>;
      for (const k of Object.keys(record)) record[k] = visit(f, record[k] as JsonValue);
    } else {
      json[key] = visit(f, value);
    }
  }
}
