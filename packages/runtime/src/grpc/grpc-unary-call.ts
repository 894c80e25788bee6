import * as grpc from "@grpc/grpc-js";

/** A call object of grpc-js's `Channel.createCall`. */
type ChannelCall = ReturnType<grpc.ChannelInterface["createCall"]>;
/** What `ChannelCall.start` reports to. */
type CallListener = Parameters<ChannelCall["start"]>[1];

/** The per-call inputs of {@link directUnaryCall}. @internal */
export interface DirectUnaryCall<I, O> {
  readonly path: string;
  readonly serialize: (message: I) => Buffer;
  readonly deserialize: (bytes: Buffer) => O;
  readonly request: I;
  readonly metadata: grpc.Metadata;
  /** Absolute deadline, ms since the epoch; Infinity for none. */
  readonly deadline: number;
  readonly onMetadata: ((metadata: grpc.Metadata) => void) | undefined;
  /** Called after `done` with the status, and the call (to ask it for its peer). */
  readonly onStatus: ((status: grpc.StatusObject, call: ChannelCall) => void) | undefined;
  /** Called once with the answer or a grpc-js `ServiceError`. */
  readonly done: (err: grpc.ServiceError | null, value?: O) => void;
}

/**
 * Whether client options leave a unary call nothing to do between
 * `Client.makeUnaryRequest` and the channel: no interceptors, interceptor
 * providers or call invocation transformer. Only then may the gateway call the
 * channel directly (a user's interceptor is never skipped). @internal
 */
export function canCallChannelDirectly(options: grpc.ClientOptions | undefined): boolean {
  return (
    options === undefined ||
    ((options.interceptors === undefined || options.interceptors.length === 0) &&
      (options.interceptor_providers === undefined || options.interceptor_providers.length === 0) &&
      options.callInvocationTransformer === undefined)
  );
}

/**
 * One unary call on a grpc-js channel through its public `createCall`, doing
 * what `Client.makeUnaryRequest` does for a client without interceptors (the
 * same serialization, read, status and error handling) minus its per-call
 * layers: the caller-stack `Error` it creates for every call, the
 * intercepting-call wrappers and the call's event emitter. Returns a function
 * that cancels the call, as `ClientUnaryCall.cancel` does. @internal
 */
export function directUnaryCall<I, O>(
  channel: grpc.ChannelInterface,
  call: DirectUnaryCall<I, O>,
): () => void {
  const grpcCall = channel.createCall(call.path, call.deadline, undefined, null, undefined);
  let response: O | undefined;
  let received = false;
  let readError: grpc.StatusObject | undefined;
  let finished = false;
  const listener: CallListener = {
    onReceiveMetadata(metadata) {
      call.onMetadata?.(metadata);
    },
    onReceiveMessage(bytes: Buffer) {
      if (received) {
        grpcCall.cancelWithStatus(grpc.status.UNIMPLEMENTED, "Too many responses received");
        return;
      }
      received = true;
      try {
        response = call.deserialize(bytes);
      } catch (e) {
        readError = {
          code: grpc.status.INTERNAL,
          details: `Response message parsing error: ${errorMessage(e)}`,
          metadata: new grpc.Metadata(),
        };
        grpcCall.cancelWithStatus(readError.code, readError.details);
      }
    },
    onReceiveStatus(received_) {
      if (finished) return;
      finished = true;
      const status = readError ?? received_;
      if (status.code === grpc.status.OK) {
        if (response === undefined) {
          call.done(
            serviceError({
              code: grpc.status.UNIMPLEMENTED,
              details: "No message received",
              metadata: status.metadata,
            }),
          );
        } else call.done(null, response);
      } else call.done(serviceError(status));
      call.onStatus?.(status, grpcCall);
    },
  };
  grpcCall.start(call.metadata, listener);
  grpcCall.startRead();
  let bytes: Buffer;
  try {
    bytes = call.serialize(call.request);
  } catch (e) {
    grpcCall.cancelWithStatus(
      grpc.status.INTERNAL,
      `Request message serialization failure: ${errorMessage(e)}`,
    );
    return () => {};
  }
  grpcCall.sendMessageWithContext({}, bytes);
  grpcCall.halfClose();
  return () => grpcCall.cancelWithStatus(grpc.status.CANCELLED, "Cancelled on client");
}

/** The error grpc-js's client gives for a status (its `callErrorFromStatus`). */
function serviceError(status: grpc.StatusObject): grpc.ServiceError {
  const message = `${status.code} ${grpc.status[status.code]}: ${status.details}`;
  return Object.assign(new Error(message), status);
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
