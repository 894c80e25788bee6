import {
  create,
  type DescField,
  type DescMessage,
  type MessageShape,
  ScalarType,
} from "@bufbuild/protobuf";
import { type JsonObject, newObject, resolveFieldPath, setOwn } from "./field-path.js";
import { isHttpBody } from "./http-body.js";
import { applyQueryPlan, compileQueryPlan, type QueryPlan } from "./query-params.js";
import type { RouteSpec } from "./route-spec.js";
import { fail, ok, type ParseResult, quote } from "./scalar-json.js";

/** Where a file part goes: a singular `bytes` field or a `google.api.HttpBody` field. */
export interface FileTarget {
  /** The fields from the request message down to the target field. */
  readonly fields: readonly DescField[];
  /** `bytes` takes the file's bytes; `httpBody` also its content type. */
  readonly kind: "bytes" | "httpBody";
}

/**
 * How a form body (`application/x-www-form-urlencoded`, or the parts of
 * `multipart/form-data`) maps onto a route's request message: the body is the
 * rule's `body` target (the whole message for `*`, the named message field
 * otherwise), and each form key is a field path inside it, parsed with exactly
 * the query-parameter rules (nested `a.b`, repeated keys, `map[key]`,
 * well-known types, enums). A file part's name is a field path too, and must
 * name a singular `bytes` or `google.api.HttpBody` field.
 * @internal
 */
export class FormBinding {
  readonly #plan: QueryPlan;
  /** The body field's path from the request message (proto names); empty for `body: "*"`. */
  readonly #bodyFields: readonly DescField[];
  readonly #bodyMessage: DescMessage;
  readonly #files = new Map<string, FileTarget | string>();

  private constructor(plan: QueryPlan, bodyFields: readonly DescField[], bodyMessage: DescMessage) {
    this.#plan = plan;
    this.#bodyFields = bodyFields;
    this.#bodyMessage = bodyMessage;
  }

  /**
   * The form binding of a route, or a sentence saying why its body cannot be a
   * form: no body, or a body field that is not a message.
   */
  static forRoute(
    schema: DescMessage,
    route: RouteSpec,
    rejectUnknown: boolean,
  ): FormBinding | string {
    const body = route.body ?? "";
    if (body === "") return "the route's rule has no body";
    if (body === "*") {
      const exclude = new Set(route.pattern.variables.map((v) => v.fieldPath));
      return new FormBinding(compileQueryPlan(schema, { exclude, rejectUnknown }), [], schema);
    }
    const resolved = resolveFieldPath(schema, body);
    const leaf = resolved.fields[resolved.fields.length - 1];
    if (!resolved.ok || leaf?.fieldKind !== "message" || isHttpBody(leaf.message)) {
      return `the body field "${body}" is not a message`;
    }
    const plan = compileQueryPlan(leaf.message, { exclude: new Set(), rejectUnknown });
    return new FormBinding(plan, resolved.fields, leaf.message);
  }

  /**
   * Merges URL-encoded `form` pairs into the request's proto3 JSON object
   * (under the body field). Errors name the form key, as query errors do.
   */
  apply(json: JsonObject, form: string): ParseResult<void> {
    if (form === "") return ok(undefined);
    let target = json;
    for (const field of this.#bodyFields) {
      const existing = target[field.name];
      if (typeof existing === "object" && existing !== null && !Array.isArray(existing)) {
        target = existing as JsonObject;
      } else {
        const next = newObject();
        setOwn(target, field.name, next);
        target = next;
      }
    }
    const r = applyQueryPlan(this.#plan, target, form);
    return r.ok ? r : fail(r.message.replace(/query parameter/g, "form field"));
  }

  /** Where the file part `name` goes, or why it cannot go anywhere. */
  fileTarget(name: string): FileTarget | string {
    let target = this.#files.get(name);
    if (target === undefined) {
      target = resolveFileTarget(this.#bodyMessage, this.#bodyFields, name);
      // Bounded: only names of real fields are cached.
      if (typeof target !== "string") this.#files.set(name, target);
    }
    return target;
  }
}

function resolveFileTarget(
  message: DescMessage,
  bodyFields: readonly DescField[],
  name: string,
): FileTarget | string {
  const resolved = resolveFieldPath(message, name);
  if (!resolved.ok) return `file part ${quote(name)}: ${resolved.message}`;
  const leaf = resolved.fields[resolved.fields.length - 1] as DescField;
  const fields = [...bodyFields, ...resolved.fields];
  if (leaf.fieldKind === "scalar" && leaf.scalar === ScalarType.BYTES) {
    return { fields, kind: "bytes" };
  }
  if (leaf.fieldKind === "message" && isHttpBody(leaf.message)) {
    return { fields, kind: "httpBody" };
  }
  return `file part ${quote(name)}: field "${leaf.name}" is neither bytes nor google.api.HttpBody`;
}

/**
 * Sets a file's bytes (and, for an HttpBody, its content type) into
 * `message` at `target`, creating the messages on the way (and selecting
 * oneof members). @internal
 */
export function setFile(
  message: MessageShape<DescMessage>,
  target: FileTarget,
  data: Uint8Array,
  contentType: string,
): void {
  let obj = message as unknown as Record<string, unknown>;
  const { fields } = target;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as DescField;
    const last = i === fields.length - 1;
    let value: unknown;
    if (last) {
      value =
        target.kind === "bytes"
          ? data
          : create((field as DescField & { fieldKind: "message" }).message, {
              contentType,
              data,
            } as never);
    } else {
      const current = get(obj, field);
      value = current ?? create((field as DescField & { fieldKind: "message" }).message);
    }
    set(obj, field, value);
    if (!last) obj = value as Record<string, unknown>;
  }
}

function get(obj: Record<string, unknown>, field: DescField): unknown {
  if (field.oneof === undefined) return obj[field.localName];
  const slot = obj[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
  return slot?.case === field.localName ? slot.value : undefined;
}

function set(obj: Record<string, unknown>, field: DescField, value: unknown): void {
  if (field.oneof === undefined) obj[field.localName] = value;
  else obj[field.oneof.localName] = { case: field.localName, value };
}
