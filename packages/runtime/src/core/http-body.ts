import { create, type DescField, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { resolveFieldPath } from "./field-path.js";

/** The full name of `google.api.HttpBody`: raw, non-JSON request and response bodies. */
export const httpBodyTypeName = "google.api.HttpBody";

/** The content type written for an HttpBody response that leaves `content_type` empty. */
const defaultContentType = "application/octet-stream";

/** The shape of a `google.api.HttpBody` message, whichever generated copy it comes from. */
interface HttpBodyShape {
  contentType: string;
  data: Uint8Array;
}

/** True for `google.api.HttpBody`. @internal */
export function isHttpBody(schema: DescMessage): boolean {
  return schema.typeName === httpBodyTypeName;
}

/**
 * Where a route's raw request body goes when it is a `google.api.HttpBody`:
 * `body: "*"` on an HttpBody request, or `body: "field.path"` naming an
 * HttpBody field. Such a route accepts any content type; the body is not JSON.
 * @internal
 */
export class HttpBodyRequest {
  /** The fields from the request message down to the HttpBody field; empty for the whole request. */
  readonly #path: readonly DescField[];
  readonly #httpBody: DescMessage;

  private constructor(path: readonly DescField[], httpBody: DescMessage) {
    this.#path = path;
    this.#httpBody = httpBody;
  }

  /** The raw-body binding of a route, or undefined when its body is JSON (or absent). */
  static forRoute(schema: DescMessage, body: string | undefined): HttpBodyRequest | undefined {
    if (body === undefined || body === "") return undefined;
    if (body === "*") return isHttpBody(schema) ? new HttpBodyRequest([], schema) : undefined;
    const resolved = resolveFieldPath(schema, body);
    if (!resolved.ok) return undefined;
    const last = resolved.fields[resolved.fields.length - 1];
    if (last?.fieldKind !== "message" || !isHttpBody(last.message)) return undefined;
    return new HttpBodyRequest(resolved.fields, last.message);
  }

  /** The field paths (proto names) the raw body occupies, to keep them out of the query. */
  get fieldPath(): string {
    return this.#path.map((f) => f.name).join(".");
  }

  /** Stores the raw body and its content type in `message` (the whole of it for `body: "*"`). */
  set(
    message: MessageShape<DescMessage>,
    body: Buffer | undefined,
    contentType: string | undefined,
  ): MessageShape<DescMessage> {
    const value = {
      contentType: contentType ?? "",
      data:
        body === undefined
          ? new Uint8Array(0)
          : new Uint8Array(body.buffer, body.byteOffset, body.length),
    };
    if (this.#path.length === 0) return create(this.#httpBody, value) as MessageShape<DescMessage>;
    let target = message as unknown as Record<string, unknown>;
    for (let i = 0; i < this.#path.length - 1; i++) {
      const field = this.#path[i] as DescField & { fieldKind: "message" };
      let next = target[field.localName] as Record<string, unknown> | undefined;
      if (next === undefined) {
        next = create(field.message) as unknown as Record<string, unknown>;
        target[field.localName] = next;
      }
      target = next;
    }
    const last = this.#path[this.#path.length - 1] as DescField;
    target[last.localName] = create(this.#httpBody, value);
    return message;
  }
}

/** A raw response body: bytes and their content type. */
export interface RawBody {
  readonly contentType: string;
  readonly data: Uint8Array;
}

/**
 * Reads the body of responses that are a `google.api.HttpBody` (the whole
 * response, or the `response_body` field): its bytes as they are, with its
 * content type.
 * @internal
 */
export class HttpBodyResponse {
  readonly #path: readonly DescField[];

  private constructor(path: readonly DescField[]) {
    this.#path = path;
  }

  /** The raw writer of a route, or undefined when its response is JSON. */
  static forRoute(
    schema: DescMessage,
    responseBody: string | undefined,
  ): HttpBodyResponse | undefined {
    if (responseBody === undefined || responseBody === "") {
      return isHttpBody(schema) ? new HttpBodyResponse([]) : undefined;
    }
    const resolved = resolveFieldPath(schema, responseBody);
    if (!resolved.ok) return undefined;
    const last = resolved.fields[resolved.fields.length - 1];
    if (last?.fieldKind !== "message" || !isHttpBody(last.message)) return undefined;
    return new HttpBodyResponse(resolved.fields);
  }

  /** The HttpBody of `message`: its bytes and content type (default `application/octet-stream`). */
  content(message: MessageShape<DescMessage>): RawBody {
    let value: unknown = message;
    for (const field of this.#path) {
      value = value === undefined ? undefined : (value as Record<string, unknown>)[field.localName];
    }
    const body = value as HttpBodyShape | undefined;
    return {
      contentType:
        body === undefined || body.contentType === "" ? defaultContentType : body.contentType,
      data: body?.data ?? new Uint8Array(0),
    };
  }
}
