import type {
  DescField,
  DescMessage,
  DescMethod,
  JsonValue,
  Message,
  MessageShape,
} from "@bufbuild/protobuf";
import { ScalarType } from "@bufbuild/protobuf";
import type { Codec, JsonWriteOptions } from "../codec/codec.js";
import type { EnumNames } from "./enum-names.js";
import { resolveFieldPath } from "./field-path.js";
import { HttpStatusError } from "./http-status-error.js";
import type { Int64Numbers } from "./int64-numbers.js";
import { Code, RpcError } from "./rpc-error.js";

/**
 * Reshapes a response before it is written (grpc-gateway's
 * `WithForwardResponseRewriter`): it receives the JSON value that would be
 * written (the message, or its `response_body` field), the message, and the
 * method, and returns the JSON value to write instead. Called for a unary
 * response and for every message of a stream (NDJSON, SSE, JSON array,
 * WebSocket). A rewriter that throws fails the call with INTERNAL
 * (`response rewriter failed: …`): a 500, or the stream's error frame.
 */
export type ResponseRewriter = (json: JsonValue, message: Message, method: DescMethod) => JsonValue;

/**
 * What writing response messages depends on (one concern, the mux's `json`):
 * the codec and protobuf-es `toJson` options (its name for emitDefaultValues
 * is alwaysEmitImplicit), and the JSON text options.
 */
export interface ResponseEncodeOptions extends JsonWriteOptions {
  readonly codec: Codec;
  /** Spaces of indentation of the JSON text (unary, JSON-array streams); 0 writes it compact. */
  readonly indent: number;
  /** Writes 64-bit integers as JSON numbers, when set. */
  readonly int64Numbers: Int64Numbers | undefined;
  /** Largest message written, in bytes (each message of a stream); 0 = no cap. */
  readonly maxResponseBytes: number;
  readonly responseRewriter: ResponseRewriter | undefined;
  /** Writes enum names without their prefix, when set. */
  readonly enumNames: EnumNames | undefined;
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
  readonly #int64: Int64Numbers | undefined;
  readonly #max: number;
  readonly #rewrite: ResponseRewriter | undefined;
  readonly #method: DescMethod | undefined;
  readonly #enumNames: EnumNames | undefined;
  /**
   * A message's JSON text as written on its own (a unary response, a
   * JSON-array stream element, a WebSocket message): indented with `indent`.
   */
  readonly write: (message: MessageShape<DescMessage>) => string;
  /** A message's JSON text on one line, for line-framed streams (NDJSON, SSE). */
  readonly writeLine: (message: MessageShape<DescMessage>) => string;

  constructor(
    schema: DescMessage,
    responseBody: string | undefined,
    options: ResponseEncodeOptions,
    method?: DescMethod,
  ) {
    this.#schema = schema;
    const { codec, indent, int64Numbers, maxResponseBytes, responseRewriter, enumNames, ...json } =
      options;
    this.#enumNames = enumNames?.removesPrefix === true ? enumNames : undefined;
    this.#codec = codec;
    this.#options = json;
    this.#int64 = int64Numbers?.applies(schema) === true ? int64Numbers : undefined;
    this.#max = maxResponseBytes;
    this.#rewrite = responseRewriter;
    this.#method = method;
    if (responseBody !== undefined && responseBody !== "") {
      const resolved = resolveFieldPath(schema, responseBody);
      if (!resolved.ok) throw new Error(`response_body "${responseBody}": ${resolved.message}`);
      this.#fields = resolved.fields;
    }
    // Options off cost nothing per message: the plain writer is chosen here, once.
    const plain =
      this.#int64 === undefined &&
      this.#max === 0 &&
      this.#rewrite === undefined &&
      this.#enumNames === undefined;
    if (plain) {
      this.writeLine = (m) => JSON.stringify(this.#value(m));
      this.write =
        indent === 0 ? this.writeLine : (m) => JSON.stringify(this.#value(m), null, indent);
    } else {
      this.writeLine = (m) => this.#text(m, 0);
      this.write = indent === 0 ? this.writeLine : (m) => this.#text(m, indent);
    }
  }

  /** The JSON value written for a message: the message, or its `response_body` field. */
  #value(message: MessageShape<DescMessage>): JsonValue {
    let json = this.#codec.toJson(this.#schema, message, this.#options);
    if (this.#int64 !== undefined) json = this.#int64.mark(this.#schema, json);
    if (this.#enumNames !== undefined) this.#enumNames.writeResponse(this.#schema, json);
    if (this.#fields === undefined) return json;
    let value: JsonValue | undefined = json;
    for (const field of this.#fields) {
      const key = this.#options.useProtoFieldName ? field.name : field.jsonName;
      value =
        value !== null && typeof value === "object" && !Array.isArray(value)
          ? value[key]
          : undefined;
      if (value === undefined) {
        const zero = zeroJson(this.#fields[this.#fields.length - 1]!, this.#options);
        return zero === "0" && this.#int64 !== undefined ? 0 : zero;
      }
    }
    return value;
  }

  /** The text with the options that need more than `JSON.stringify`: int64 numbers, the rewriter, the size cap. */
  #text(message: MessageShape<DescMessage>, indent: number): string {
    let value = this.#value(message);
    if (this.#rewrite !== undefined) {
      try {
        value = this.#rewrite(value, message as Message, this.#method as DescMethod);
      } catch (err) {
        throw new RpcError(`response rewriter failed: ${String(err)}`, Code.Internal, {
          cause: err,
        });
      }
    }
    let text: string | undefined;
    try {
      text = indent === 0 ? JSON.stringify(value) : JSON.stringify(value, null, indent);
    } catch (err) {
      throw new RpcError(`response is not JSON: ${String(err)}`, Code.Internal, { cause: err });
    }
    if (typeof text !== "string") {
      throw new RpcError("response rewriter returned no JSON value", Code.Internal);
    }
    if (this.#int64 !== undefined) text = this.#int64.unmark(text);
    // A UTF-16 unit is at most 3 UTF-8 bytes: count them only when that could pass the cap.
    if (this.#max !== 0 && text.length * 3 > this.#max)
      checkResponseSize(utf8Length(text), this.#max);
    return text;
  }
}

/** UTF-8 byte length of a string (no Node Buffer in core). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Refuses a response of `bytes` over `max` (the `maxResponseBytes` option):
 * RESOURCE_EXHAUSTED, as gRPC answers a message over its receive limit,
 * with HTTP 502: the gateway cannot pass on what the backend sent.
 * @internal
 */
export function checkResponseSize(bytes: number, max: number): void {
  if (max !== 0 && bytes > max) {
    throw new HttpStatusError(
      `the response message is ${bytes} bytes, over the gateway's limit of ${max} (maxResponseBytes)`,
      Code.ResourceExhausted,
      502,
    );
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
