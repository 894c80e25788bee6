import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { create, fromBinary } from "@bufbuild/protobuf";
import { type Any, anyIs, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { type Status, StatusSchema } from "../proto/google/rpc/status_pb.js";
import { type CallMetadata, copyMetadata, createMetadata } from "./metadata.js";

/**
 * The gRPC status codes, numbered exactly like grpc-js's `status` enum and
 * `google.rpc.Code`, named in PascalCase (`Code.NotFound`) like connect-es.
 *
 * A plain `const` object rather than a TypeScript `enum`: it works with
 * `verbatimModuleSyntax`/type stripping, and `Code` is also the union type of
 * its values, so a `switch` over it can be checked for exhaustiveness.
 */
export const Code = {
  Ok: 0,
  Cancelled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;

/** A gRPC status code: one of the values of {@link Code}. */
export type Code = (typeof Code)[keyof typeof Code];

const codeNames: readonly string[] = [
  "ok",
  "cancelled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

/** Whether `value` is one of the 17 gRPC status codes. */
export function isCode(value: unknown): value is Code {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 16;
}

/**
 * The snake_case name of a code (`"not_found"`), as connect-es prints it;
 * `"code_<n>"` for a number that is not a code.
 */
export function codeToString(code: number): string {
  return codeNames[code] ?? `code_${code}`;
}

/**
 * A detail to attach to an error that is not yet packed into an `Any`: the
 * message's schema and its value (a message or an init object).
 */
export interface OutgoingDetail<Desc extends DescMessage = DescMessage> {
  desc: Desc;
  value: MessageInitShape<Desc>;
}

/**
 * An error detail: either a packed `google.protobuf.Any` (what arrives from a
 * backend) or an {@link OutgoingDetail} (what code raising an error adds).
 */
export type RpcErrorDetail = Any | OutgoingDetail;

/** Options for the {@link RpcError} constructor. */
export interface RpcErrorOptions {
  /** Metadata to send along; for errors from a backend, its trailers. */
  metadata?: CallMetadata | undefined;
  /** Error details (`google.rpc.Status.details`). */
  details?: RpcErrorDetail[] | undefined;
  /** The original error, if this one wraps another. */
  cause?: unknown;
}

/** The brand that marks an RpcError, shared by every copy of this package. */
const brand = Symbol.for("@ts-gateway/runtime/RpcError");

/** Trailer carrying a serialized `google.rpc.Status` with the error details. */
export const statusDetailsKey = "grpc-status-details-bin";

/**
 * The one error class of the runtime, modelled on connect-es's `ConnectError`:
 * a gRPC status code, a message, typed details, metadata and a cause.
 *
 * `instanceof RpcError` and {@link RpcError.from} also recognise instances made
 * by a duplicate copy of this package (through a `Symbol.for` brand).
 */
export class RpcError extends Error {
  /** The gRPC status code. */
  readonly code: Code;
  /** The message without the `[code]` prefix; what goes on the wire. */
  readonly rawMessage: string;
  /** Metadata (for backend errors: the trailers, without the status details). */
  readonly metadata: CallMetadata;
  /** Error details; read typed ones with {@link findDetails}. */
  details: RpcErrorDetail[];
  /** The original error, if this one wraps another. */
  override cause: unknown;
  override name = "RpcError";

  /**
   * @param message - the raw message (it is also the wire message)
   * @param code - the status code, `Code.Unknown` by default
   */
  constructor(message: string, code: Code = Code.Unknown, options: RpcErrorOptions = {}) {
    super(message.length > 0 ? `[${codeToString(code)}] ${message}` : `[${codeToString(code)}]`);
    this.code = code;
    this.rawMessage = message;
    this.metadata = options.metadata ?? createMetadata();
    this.details = options.details ?? [];
    this.cause = options.cause;
  }

  /**
   * `instanceof RpcError` is true for any branded error, so that errors made
   * by a duplicate copy of the package are recognised. Subclasses keep the
   * ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    const ordinary = Function.prototype[Symbol.hasInstance];
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof
    return this === RpcError ? isBranded(value) : ordinary.call(this, value);
  }

  /**
   * Converts any thrown value to an RpcError:
   * - an RpcError is returned as is (one from a duplicate copy of the package
   *   is copied into an instance of this one);
   * - a grpc-js `ServiceError` or `StatusObject` (`code`, `details`,
   *   `metadata`) keeps its code and message; details are decoded from the
   *   `grpc-status-details-bin` trailer; an out-of-range code becomes Unknown;
   * - an `AbortError` becomes Cancelled, a `TimeoutError` (from
   *   `AbortSignal.timeout`) DeadlineExceeded;
   * - anything else gets `fallbackCode`, its message, and itself as cause.
   */
  static from(reason: unknown, fallbackCode: Code = Code.Unknown): RpcError {
    if (reason instanceof RpcError) {
      if (Object.prototype.isPrototypeOf.call(RpcError.prototype, reason)) {
        return reason;
      }
      return new RpcError(
        String(reason.rawMessage),
        isCode(reason.code) ? reason.code : fallbackCode,
        {
          metadata: copyMetadata(reason.metadata),
          details: Array.isArray(reason.details) ? reason.details : [],
          cause: reason.cause,
        },
      );
    }
    if (isStatusLike(reason)) {
      return fromStatusObject(reason);
    }
    if (reason instanceof Error || isNamedObject(reason)) {
      const name = (reason as { name?: unknown }).name;
      const message = String((reason as { message?: unknown }).message ?? "");
      if (name === "AbortError") {
        return new RpcError(message || "operation was aborted", Code.Cancelled, { cause: reason });
      }
      if (name === "TimeoutError") {
        return new RpcError(message || "operation timed out", Code.DeadlineExceeded, {
          cause: reason,
        });
      }
      return new RpcError(message, fallbackCode, { cause: reason });
    }
    return new RpcError(safeString(reason), fallbackCode, { cause: reason });
  }
}

Object.defineProperty(RpcError.prototype, brand, { value: true });

function isBranded(value: unknown): value is RpcError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[brand] === true
  );
}

function isNamedObject(value: unknown): value is { name: string; message?: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { name?: unknown }).name === "string"
  );
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "unknown error";
  }
}

/** The shape of a grpc-js `StatusObject` (and of a `ServiceError`). */
export interface StatusLike {
  code: number;
  details: string;
  metadata?: unknown;
}

function isStatusLike(value: unknown): value is StatusLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as StatusLike).code === "number" &&
    typeof (value as StatusLike).details === "string"
  );
}

/**
 * Builds an RpcError from a grpc-js `StatusObject`/`ServiceError`, decoding
 * the details from `grpc-status-details-bin` (the trailer is removed from the
 * error's metadata unless it cannot be decoded). The `grpc-status`/`grpc-message`
 * values win over the ones inside the encoded `Status`, as the gRPC spec says;
 * the encoded message is only used when `details` is empty.
 *
 * @internal Use {@link RpcError.from} or `fromServiceError`.
 */
export function fromStatusObject(status: StatusLike): RpcError {
  const code = isCode(status.code) ? status.code : Code.Unknown;
  const metadata = copyMetadata(status.metadata);
  let message = status.details;
  let details: Any[] = [];
  const bin = metadata.get(statusDetailsKey)[0];
  if (bin !== undefined && typeof bin !== "string") {
    const decoded = decodeStatus(bin);
    if (decoded !== undefined) {
      details = decoded.details;
      if (message.length === 0) {
        message = decoded.message;
      }
      metadata.remove(statusDetailsKey);
    }
  }
  return new RpcError(message, code, { metadata, details, cause: status });
}

function decodeStatus(bin: Uint8Array): Status | undefined {
  try {
    return fromBinary(StatusSchema, bin);
  } catch {
    return undefined;
  }
}

/** Packs one detail into an `Any`. */
export function detailToAny(detail: RpcErrorDetail): Any {
  if ("desc" in detail) {
    return anyPack(detail.desc, create(detail.desc, detail.value));
  }
  return detail;
}

/**
 * The error as a `google.rpc.Status` message (code, raw message and every
 * detail packed into an `Any`), e.g. to serialize into
 * `grpc-status-details-bin`.
 */
export function statusFromRpcError(error: RpcError): Status {
  return create(StatusSchema, {
    code: error.code,
    message: error.rawMessage,
    details: error.details.map(detailToAny),
  });
}

/**
 * The error's details of one message type, decoded. Details of other types,
 * and packed details that fail to decode, are skipped.
 *
 * @example
 * const [badRequest] = findDetails(RpcError.from(e), BadRequestSchema);
 */
export function findDetails<Desc extends DescMessage>(
  error: RpcError,
  schema: Desc,
): MessageShape<Desc>[] {
  const found: MessageShape<Desc>[] = [];
  for (const detail of error.details) {
    if ("desc" in detail) {
      if (detail.desc.typeName === schema.typeName) {
        found.push(create(schema, detail.value as MessageInitShape<Desc>));
      }
      continue;
    }
    if (!anyIs(detail, schema)) {
      continue;
    }
    try {
      const message = anyUnpack(detail, schema);
      if (message !== undefined) {
        found.push(message);
      }
    } catch {
      // Corrupt detail bytes: skip.
    }
  }
  return found;
}
