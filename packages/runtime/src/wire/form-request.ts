import type { IncomingMessage } from "node:http";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { FileTarget } from "../core/form-binding.js";
import { HttpStatusError } from "../core/http-status-error.js";
import type { FormFile, RequestMessageBuilder } from "../core/request-message.js";
import { Code, RpcError } from "../core/rpc-error.js";
import type { PipelineCall } from "../pipeline/pipeline.js";
import type { MultipartLimits } from "./multipart-limits.js";
import { type FormKind, formKind, multipartParts } from "./multipart-parts.js";
import { readBody, unsupportedContentEncoding } from "./request-body.js";

/** The request side of a call whose body is a form. @internal */
export interface FormRequest {
  readonly kind: FormKind;
  readonly builder: RequestMessageBuilder;
  readonly params: ReadonlyArray<[string, string]>;
  readonly query: string;
  readonly pipeline: PipelineCall | undefined;
}

/**
 * The form a request's body is, when the route decodes it as one: a
 * URL-encoded or multipart Content-Type on a route whose body is not a raw
 * `google.api.HttpBody` (which takes any bytes), and that either has a body
 * in its rule or is sent one (then it is refused). Throws a 415 for a
 * Content-Encoding the gateway does not decode. @internal
 */
export function formOf(req: IncomingMessage, builder: RequestMessageBuilder): FormKind | undefined {
  if (builder.rawBody) return undefined;
  const kind = formKind(req.headers["content-type"]);
  if (kind === undefined) return undefined;
  if (!builder.hasBody && !carriesBody(req)) return undefined;
  const encoding = unsupportedContentEncoding(req, true);
  if (encoding !== undefined) throw encoding;
  return kind;
}

/** Whether a request sends a body: a non-zero Content-Length, or chunked. */
function carriesBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

/**
 * A 415 for a form body sent to a route that cannot take one (its rule has no
 * body, or its body field is not a message), or undefined. @internal
 */
export function formRefusal(builder: RequestMessageBuilder, kind: FormKind): RpcError | undefined {
  const reason = builder.formRefusal;
  if (reason === undefined) return undefined;
  const type = kind === "urlencoded" ? "application/x-www-form-urlencoded" : "multipart/form-data";
  return new HttpStatusError(
    `unsupported Content-Type ${type}: ${reason}; send application/json`,
    Code.InvalidArgument,
    415,
  );
}

/**
 * Reads a form body whole and decodes the request message: a URL-encoded body
 * up to `maxBytes`, or a multipart body (its text parts as form fields, its
 * files into `bytes` / `google.api.HttpBody` fields) whose total is bounded by
 * `maxBytes` too. @internal
 */
export async function readFormMessage(
  req: IncomingMessage,
  form: FormRequest,
  maxBytes: number,
  limits: MultipartLimits,
): Promise<MessageShape<DescMessage>> {
  const { builder, params, query, pipeline } = form;
  const refused = formRefusal(builder, form.kind);
  if (refused !== undefined) throw refused;
  let encoded: string;
  const files: FormFile[] = [];
  if (form.kind === "urlencoded") {
    const body = await readBody(req, maxBytes);
    if (pipeline !== undefined) pipeline.outcome.bytesIn = body.length;
    encoded = body.toString("latin1");
  } else {
    const pairs: string[] = [];
    const count = (n: number) => {
      if (pipeline !== undefined) pipeline.outcome.bytesIn += n;
    };
    for await (const part of multipartParts(req, limits, maxBytes, count)) {
      if (part.kind === "field") {
        pairs.push(`${encodeURIComponent(part.name)}=${encodeURIComponent(part.value)}`);
        continue;
      }
      const target = fileTargetOf(builder, part.name);
      const chunks: Buffer[] = [];
      for await (const chunk of part.data) chunks.push(chunk);
      files.push({ target, data: Buffer.concat(chunks), contentType: part.contentType });
    }
    encoded = pairs.join("&");
  }
  const message = builder.buildForm(encoded, files, params, query);
  if (message instanceof RpcError) throw message;
  return message;
}

/**
 * The request messages of a multipart upload into a client-streaming (or
 * bidi) method: first one message of the text parts (with the path variables
 * and query), then, for each file, one message per `chunkBytes` of it with
 * only the file's field set (a `bytes` field, or an HttpBody's `data` and
 * `content_type`). Text parts after a file are a 400: a form lists its
 * fields first. Nothing is read ahead of the backend: the next chunk is read
 * from the client when the call asks for the next message. @internal
 */
export async function* uploadMessages(
  req: IncomingMessage,
  form: FormRequest,
  limits: MultipartLimits,
): AsyncGenerator<MessageShape<DescMessage>> {
  const { builder, params, query, pipeline } = form;
  const refused = formRefusal(builder, "multipart");
  if (refused !== undefined) throw refused;
  const count = (n: number) => {
    if (pipeline !== undefined) pipeline.outcome.bytesIn += n;
  };
  const pairs: string[] = [];
  let sentFirst = false;
  const first = () => {
    sentFirst = true;
    const message = builder.buildForm(pairs.join("&"), [], params, query);
    if (message instanceof RpcError) throw message;
    if (pipeline !== undefined) pipeline.outcome.messagesIn++;
    return message;
  };
  for await (const part of multipartParts(req, limits, limits.maxUploadBytes, count)) {
    if (part.kind === "field") {
      if (sentFirst) {
        throw new HttpStatusError(
          `form field "${part.name}" comes after a file: send the text parts before the files`,
          Code.InvalidArgument,
          400,
        );
      }
      pairs.push(`${encodeURIComponent(part.name)}=${encodeURIComponent(part.value)}`);
      continue;
    }
    const target: FileTarget = fileTargetOf(builder, part.name);
    if (!sentFirst) yield first();
    for await (const chunk of chunked(part.data, limits.chunkBytes)) {
      if (pipeline !== undefined) pipeline.outcome.messagesIn++;
      yield builder.chunk(target, chunk, part.contentType);
    }
  }
  if (!sentFirst) yield first();
}

function fileTargetOf(builder: RequestMessageBuilder, name: string): FileTarget {
  const target = builder.fileTarget(name);
  if (typeof target === "string") throw new HttpStatusError(target, Code.InvalidArgument, 400);
  return target;
}

/** Re-cuts a byte stream into chunks of exactly `size` bytes (the last may be shorter). @internal */
export async function* chunked(
  source: AsyncIterable<unknown>,
  size: number,
): AsyncGenerator<Uint8Array> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const data of source) {
    let buffer = data as Buffer;
    while (pendingBytes + buffer.length >= size) {
      const take = size - pendingBytes;
      pending.push(buffer.subarray(0, take));
      yield pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, size);
      buffer = buffer.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (buffer.length > 0) {
      pending.push(buffer);
      pendingBytes += buffer.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
