import type { DescMessage, DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";

/** A unary method of a generated service descriptor. */
export type UnaryMethod<
  I extends DescMessage = DescMessage,
  O extends DescMessage = DescMessage,
> = DescMethod & { readonly methodKind: "unary"; readonly input: I; readonly output: O };
/** A server-streaming method of a generated service descriptor. */
export type ServerStreamingMethod<
  I extends DescMessage = DescMessage,
  O extends DescMessage = DescMessage,
> = DescMethod & { readonly methodKind: "server_streaming"; readonly input: I; readonly output: O };
/** A client-streaming method of a generated service descriptor. */
export type ClientStreamingMethod<
  I extends DescMessage = DescMessage,
  O extends DescMessage = DescMessage,
> = DescMethod & { readonly methodKind: "client_streaming"; readonly input: I; readonly output: O };
/** A bidi-streaming method of a generated service descriptor. */
export type BidiStreamingMethod<
  I extends DescMessage = DescMessage,
  O extends DescMessage = DescMessage,
> = DescMethod & { readonly methodKind: "bidi_streaming"; readonly input: I; readonly output: O };

/** What an implementation may return for a response: a message or its init shape. */
export type ResponseInit<O extends DescMessage> = MessageInitShape<O>;
/** A response message. */
export type Response<O extends DescMessage> = MessageShape<O>;

/** The gRPC path of a method, `/package.Service/Method`. */
export function grpcPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}
