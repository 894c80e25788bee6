import {
  create,
  type DescField,
  type DescMessage,
  type JsonValue,
  type MessageShape,
} from "@bufbuild/protobuf";
import type { Codec, JsonReadOptions } from "../codec/codec.js";
import type { EnumNames } from "./enum-names.js";
import { FieldMaskFiller } from "./field-mask-fill.js";
import { newObject, resolveFieldPath, setOwn } from "./field-path.js";
import { type FileTarget, FormBinding, setFile } from "./form-binding.js";
import { HttpBodyRequest } from "./http-body.js";
import { applyPathParams } from "./path-params.js";
import { applyQueryPlan, compileQueryPlan, type QueryPlan } from "./query-params.js";
import type { RouteSpec } from "./route-spec.js";
import { Code, RpcError } from "./rpc-error.js";

/** How requests are decoded (the mux's `decode`): the codec, JSON reading and the query's unknown-parameter rule. */
export interface RequestDecodeOptions {
  readonly codec: Codec;
  readonly readJson: JsonReadOptions;
  readonly rejectUnknownQueryParameters: boolean;
  /** Query parameter names skipped whatever they name (`ignoredQueryParameters`). */
  readonly ignoredQueryParameters: ReadonlySet<string>;
  /** Refuse a JSON body that sets a field a path variable binds, instead of letting the path win. */
  readonly rejectBindingBodyFieldCollisions: boolean;
  /** Enum names as clients may spell them (case, prefix); undefined: as declared only. */
  readonly enumNames: EnumNames | undefined;
  /** The map<string, string> field (by name) that takes unknown query parameters, where the request has it. */
  readonly captureUnknownQueryParameters: string | undefined;
}

/**
 * Builds a route's request message from the JSON body, the path variables and
 * the query string, per its google.api.http rule: one proto3-JSON object is
 * assembled (path variables win over body fields; the query fills fields
 * neither binds) and decoded once with `fromJson`. Everything that depends
 * only on the route is computed at construction.
 * @internal
 */
export class RequestMessageBuilder {
  /** Whether the route reads a request body. */
  readonly hasBody: boolean;
  /**
   * Whether the body is a raw `google.api.HttpBody` (any content type) rather
   * than JSON; `build` then wants the request's Content-Type.
   */
  readonly rawBody: boolean;
  readonly #httpBody: HttpBodyRequest | undefined;
  readonly #schema: DescMessage;
  /** For `body: "field.path"`: the JSON keys (proto names) to nest the body under. */
  readonly #bodyPath: readonly string[] | undefined;
  readonly #query: QueryPlan | undefined;
  readonly #options: RequestDecodeOptions;
  readonly #maskFiller: FieldMaskFiller | undefined;
  readonly #form: FormBinding | string;
  /** What a repeated path variable is split on. */
  readonly #separator: string;
  /** With `rejectBindingBodyFieldCollisions`: the body's fields path variables bind, as key paths into the body. */
  readonly #collisions: readonly Collision[] | undefined;

  constructor(schema: DescMessage, route: RouteSpec, options: RequestDecodeOptions) {
    this.#schema = schema;
    this.#options = options;
    this.#separator = route.pathParamSeparator ?? ",";
    const body = route.body ?? "";
    this.hasBody = body !== "";
    this.#httpBody = HttpBodyRequest.forRoute(schema, route.body);
    this.rawBody = this.#httpBody !== undefined;
    this.#maskFiller = FieldMaskFiller.forRoute(schema, route.method, route.body);
    if (body !== "" && body !== "*") {
      const resolved = resolveFieldPath(schema, body);
      if (!resolved.ok)
        throw new Error(`route ${route.method} ${route.path}: body "${body}": ${resolved.message}`);
      this.#bodyPath = resolved.fields.map((f: DescField) => f.name);
    }
    this.#form = FormBinding.forRoute(schema, route, options.rejectUnknownQueryParameters);
    if (body !== "*") {
      const exclude = new Set(route.pattern.variables.map((v) => v.fieldPath));
      if (body !== "") exclude.add(body);
      this.#query = compileQueryPlan(schema, {
        exclude,
        rejectUnknown: options.rejectUnknownQueryParameters,
        ignored: options.ignoredQueryParameters,
        enumNames: options.enumNames,
        capture: options.captureUnknownQueryParameters,
      });
    }
    if (options.rejectBindingBodyFieldCollisions && body !== "") {
      this.#collisions = bodyCollisions(schema, route, body);
    }
  }

  /** Decodes the request, or returns an INVALID_ARGUMENT error whose message tells the client what to fix. */
  build(
    body: Buffer | undefined,
    params: ReadonlyArray<[string, string]>,
    query: string,
    contentType?: string,
  ): MessageShape<DescMessage> | RpcError {
    let json = newObject();
    let maskPaths: string[] | undefined;
    if (this.#httpBody === undefined && this.hasBody && body !== undefined && body.length > 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch (err) {
        return invalid(`request body is not valid JSON: ${(err as Error).message}`);
      }
      if (this.#bodyPath === undefined) {
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
          return invalid("request body must be a JSON object");
        }
        json = parsed as Record<string, unknown>;
      } else {
        let target = json;
        const path = this.#bodyPath;
        for (let i = 0; i < path.length - 1; i++) {
          const next = newObject();
          setOwn(target, path[i] as string, next);
          target = next;
        }
        setOwn(target, path[path.length - 1] as string, parsed);
        maskPaths = this.#maskFiller?.pathsOf(parsed);
      }
    }
    const message = this.#decode(json, params, query);
    if (message instanceof RpcError) return message;
    if (maskPaths !== undefined) this.#maskFiller?.fill(message, maskPaths);
    if (this.#httpBody !== undefined) return this.#httpBody.set(message, body, contentType);
    return message;
  }

  /** The end of every request's decoding: path variables win, the query fills the rest, then the codec. */
  #decode(
    json: Record<string, unknown>,
    params: ReadonlyArray<[string, string]>,
    query: string,
  ): MessageShape<DescMessage> | RpcError {
    // `json` holds the body alone here (JSON or form): a field it shares with the path collides.
    if (this.#collisions !== undefined) {
      const collision = collisionIn(json, this.#collisions);
      if (collision !== undefined) return invalid(collision);
    }
    const path = applyPathParams(
      this.#schema,
      json,
      params,
      this.#separator,
      this.#options.enumNames,
    );
    if (!path.ok) return invalid(path.message);
    if (this.#query !== undefined && query !== "") {
      const q = applyQueryPlan(this.#query, json, query);
      if (!q.ok) return invalid(q.message);
    }
    try {
      // Inside the try: a body nested deeper than the stack fails here as it would in the codec.
      this.#options.enumNames?.readRequest(this.#schema, json as JsonValue);
      return this.#options.codec.fromJson(this.#schema, json as JsonValue, this.#options.readJson);
    } catch (err) {
      return invalid((err as Error).message);
    }
  }

  /** Why this route takes no form body (415), or undefined when it does. */
  get formRefusal(): string | undefined {
    return typeof this.#form === "string" ? this.#form : undefined;
  }

  /** Where a multipart file part named `name` goes, or why it cannot (a 400). */
  fileTarget(name: string): FileTarget | string {
    return typeof this.#form === "string" ? this.#form : this.#form.fileTarget(name);
  }

  /**
   * Decodes a request whose body is a form: `form` holds the URL-encoded
   * pairs (of a urlencoded body, or a multipart body's text parts), `files`
   * the file parts read whole. Path variables win, the query fills the rest
   * (for a `body: "field"` rule), as for a JSON body.
   */
  buildForm(
    form: string,
    files: readonly FormFile[],
    params: ReadonlyArray<[string, string]>,
    query: string,
  ): MessageShape<DescMessage> | RpcError {
    if (typeof this.#form === "string") return invalid(this.#form);
    const json = newObject();
    const f = this.#form.apply(json, form);
    if (!f.ok) return invalid(f.message);
    const message = this.#decode(json, params, query);
    if (message instanceof RpcError) return message;
    for (const file of files) setFile(message, file.target, file.data, file.contentType);
    return message;
  }

  /** A message of the request type with only one file chunk set: a client stream's later messages. */
  chunk(target: FileTarget, data: Uint8Array, contentType: string): MessageShape<DescMessage> {
    const message = create(this.#schema);
    setFile(message, target, data, contentType);
    return message;
  }
}

/** A file part read whole, bound for a `bytes` or `google.api.HttpBody` field. @internal */
export interface FormFile {
  readonly target: FileTarget;
  readonly data: Uint8Array;
  readonly contentType: string;
}

/** A path variable's field as a path of JSON keys (proto and JSON name each) in the assembled object. */
interface Collision {
  readonly variable: string;
  readonly keys: ReadonlyArray<readonly [proto: string, json: string]>;
}

/** The fields a route's path variables bind that its body can also set. */
function bodyCollisions(schema: DescMessage, route: RouteSpec, body: string): Collision[] {
  const out: Collision[] = [];
  for (const v of route.pattern.variables) {
    const r = resolveFieldPath(schema, v.fieldPath);
    if (!r.ok) continue;
    const fieldPath = protoNames(r.fields);
    // body "*": every field; body "x": fields under x.
    if (body !== "*" && !fieldPath.startsWith(`${body}.`) && fieldPath !== body) continue;
    out.push({ variable: v.fieldPath, keys: r.fields.map((f) => [f.name, f.jsonName] as const) });
  }
  return out;
}

function protoNames(fields: readonly DescField[]): string {
  return fields.map((f) => f.name).join(".");
}

/** The message refusing the first path-bound field the body sets, or undefined. */
function collisionIn(
  json: Record<string, unknown>,
  collisions: readonly Collision[],
): string | undefined {
  for (const c of collisions) {
    let value: unknown = json;
    for (const [proto, jsonName] of c.keys) {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        value = undefined;
        break;
      }
      const obj = value as Record<string, unknown>;
      value = Object.hasOwn(obj, jsonName)
        ? obj[jsonName]
        : Object.hasOwn(obj, proto)
          ? obj[proto]
          : undefined;
      if (value === undefined) break;
    }
    if (value !== undefined) {
      return `the request body sets field "${c.variable}", which the path binds (rejectBindingBodyFieldCollisions): leave it out of the body`;
    }
  }
  return undefined;
}

function invalid(message: string): RpcError {
  return new RpcError(message, Code.InvalidArgument);
}
