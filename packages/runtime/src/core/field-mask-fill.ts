import type { DescField, DescMessage, MessageShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { findField } from "./field-path.js";

/**
 * grpc-gateway's PATCH convenience: when a request has a top-level
 * `google.protobuf.FieldMask` field the client left empty, and the body is
 * bound to a message field, the mask is filled with the paths of the JSON
 * keys the body holds (nested message keys as dotted paths; maps, lists and
 * well-known types count as one path).
 * @internal
 */
export class FieldMaskFiller {
  readonly #mask: DescField;
  readonly #bodyField: DescField & { fieldKind: "message" };

  private constructor(mask: DescField, bodyField: DescField & { fieldKind: "message" }) {
    this.#mask = mask;
    this.#bodyField = bodyField;
  }

  /** A filler for a route, or undefined when the route does not qualify. */
  static forRoute(
    schema: DescMessage,
    httpMethod: string,
    body: string | undefined,
  ): FieldMaskFiller | undefined {
    if (
      httpMethod !== "PATCH" ||
      body === undefined ||
      body === "" ||
      body === "*" ||
      body.includes(".")
    ) {
      return undefined;
    }
    const bodyField = findField(schema, body);
    if (bodyField?.fieldKind !== "message") return undefined;
    const mask = schema.fields.find(
      (f) => f.fieldKind === "message" && f.message.typeName === FieldMaskSchema.typeName,
    );
    return mask === undefined ? undefined : new FieldMaskFiller(mask, bodyField);
  }

  /** The mask paths the body's JSON implies; call before anything else is merged into the body. */
  pathsOf(bodyJson: unknown): string[] {
    const paths: string[] = [];
    collectPaths(this.#bodyField.message, bodyJson, "", paths);
    return paths;
  }

  /** Sets the mask to `paths` when the client sent none (neither in the query nor in the body). */
  fill(message: MessageShape<DescMessage>, paths: string[]): void {
    const record = message as unknown as Record<string, unknown>;
    const current = record[this.#mask.localName] as { paths: string[] } | undefined;
    if (current !== undefined && current.paths.length > 0) return;
    record[this.#mask.localName] = create(FieldMaskSchema, { paths });
  }
}

function collectPaths(schema: DescMessage, json: unknown, prefix: string, out: string[]): void {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return;
  for (const key of Object.keys(json)) {
    const field = findField(schema, key);
    if (field === undefined) continue;
    const path = prefix + field.name;
    const value = (json as Record<string, unknown>)[key];
    if (
      field.fieldKind === "message" &&
      !field.message.typeName.startsWith("google.protobuf.") &&
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value)
    ) {
      collectPaths(field.message, value, `${path}.`, out);
    } else {
      out.push(path);
    }
  }
}
