/**
 * gRPC-Web's text mode (`application/grpc-web-text`: the binary frames in
 * base64), which connect-es's gRPC-Web handler does not take: the request
 * body is decoded to binary frames before the handler reads it, and each
 * response chunk is encoded after it, as Envoy's `grpc_web` filter does
 * (each chunk padded on its own, which gRPC-Web text clients accept).
 */

const text = /^application\/grpc-web-text(\+proto)?\s*(;.*)?$/i;

/** Whether a request's `Content-Type` is gRPC-Web text. @internal */
export function isGrpcWebText(contentType: string | undefined): boolean {
  return contentType !== undefined && text.test(contentType.trim());
}

/** The binary gRPC-Web content type connect-es's handler reads instead. @internal */
export const grpcWebBinaryContentType = "application/grpc-web+proto";

/** The content type of a text response. @internal */
export const grpcWebTextContentType = "application/grpc-web-text+proto";

/**
 * Decodes a base64 request body as it streams in, four characters at a time
 * (padding may end any group: a client may pad each frame). A character
 * outside the base64 alphabet fails the body with `invalid(message)`.
 * @internal
 */
export async function* decodeBase64Body(
  body: AsyncIterable<Uint8Array>,
  invalid: (message: string) => Error,
): AsyncGenerator<Uint8Array> {
  let pending = "";
  for await (const chunk of body) {
    const chars = pending + Buffer.from(chunk).toString("latin1");
    if (!base64Chars.test(chars)) throw invalid("gRPC-Web text body is not base64");
    const whole = chars.length - (chars.length % 4);
    pending = chars.slice(whole);
    if (whole > 0) yield decodeGroups(chars.slice(0, whole), invalid);
  }
  if (pending.length > 0) throw invalid("gRPC-Web text body ends inside a base64 group");
}

const base64Chars = /^[A-Za-z0-9+/=]*$/;

/** Decodes whole 4-character groups, each on its own (a padded group may sit mid-stream). */
function decodeGroups(chars: string, invalid: (message: string) => Error): Uint8Array {
  if (!chars.includes("=")) return Buffer.from(chars, "base64");
  const parts: Buffer[] = [];
  for (let i = 0; i < chars.length; i += 4) {
    const group = chars.slice(i, i + 4);
    const pad = group.indexOf("=");
    if (pad !== -1 && (pad < 2 || group.slice(pad).replaceAll("=", "") !== "")) {
      throw invalid("gRPC-Web text body has misplaced base64 padding");
    }
    parts.push(Buffer.from(group, "base64"));
  }
  return Buffer.concat(parts);
}

/** Encodes each response chunk as base64 (padded), for a text client. @internal */
export async function* encodeBase64Body(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    yield Buffer.from(
      Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("base64"),
    );
  }
}
