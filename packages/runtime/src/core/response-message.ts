import type { DescField, DescMessage, JsonValue, MessageShape } from "@bufbuild/protobuf";
import { ScalarType } from "@bufbuild/protobuf";
import type { Codec, JsonWriteOptions } from "../codec/codec.js";
import { resolveFieldPath } from "./field-path.js";

/**
 * What writing response messages depends on (one concern, the mux's `json`):
 * the codec and protobuf-es `toJson` options (its name for emitDefaultValues
 * is alwaysEmitImplicit).
 */
export interface ResponseEncodeOptions extends JsonWriteOptions {
  readonly codec: Codec;
}

/**
 * Writes a route's response message as JSON text: the whole message, or with
 * `response_body` only that field (its zero value when unset, like grpc-gateway).
 * @internal
 */
export class ResponseJsonWriter {
  readonly #schema: DescMessage;
  readonly #fields: readonly DescField[] | undefined;
  readonly #codec: Codec;
  readonly #options: JsonWriteOptions;

  constructor(
    schema: DescMessage,
    responseBody: string | undefined,
    options: ResponseEncodeOptions,
  ) {
    this.#schema = schema;
    const { codec, ...json } = options;
    this.#codec = codec;
    this.#options = json;
    if (responseBody !== undefined && responseBody !== "") {
      const resolved = resolveFieldPath(schema, responseBody);
      if (!resolved.ok) throw new Error(`response_body "${responseBody}": ${resolved.message}`);
      this.#fields = resolved.fields;
    }
  }

  write(message: MessageShape<DescMessage>): string {
    const json = this.#codec.toJson(this.#schema, message, this.#options);
    if (this.#fields === undefined) return JSON.stringify(json);
    let value: JsonValue | undefined = json;
    for (const field of this.#fields) {
      const key = this.#options.useProtoFieldName ? field.name : field.jsonName;
      value =
        value !== null && typeof value === "object" && !Array.isArray(value)
          ? value[key]
          : undefined;
      if (value === undefined)
        return JSON.stringify(zeroJson(this.#fields[this.#fields.length - 1]!, this.#options));
    }
    return JSON.stringify(value);
  }
}

/** The JSON of an unset field, for response_body. */
function zeroJson(field: DescField, options: JsonWriteOptions): JsonValue {
  switch (field.fieldKind) {
    case "list":
      return [];
    case "map":
      return {};
    case "message":
      return field.message.typeName === "google.protobuf.Value" ? null : {};
    case "enum":
      return options.enumAsInteger ? 0 : (field.enum.values.find((v) => v.number === 0)?.name ?? 0);
    case "scalar":
      switch (field.scalar) {
        case ScalarType.BOOL:
          return false;
        case ScalarType.STRING:
        case ScalarType.BYTES:
          return "";
        case ScalarType.INT64:
        case ScalarType.UINT64:
        case ScalarType.FIXED64:
        case ScalarType.SFIXED64:
        case ScalarType.SINT64:
          return "0";
        default:
          return 0;
      }
  }
}
