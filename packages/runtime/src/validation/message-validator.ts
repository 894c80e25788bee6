import type { DescMessage, Message, Registry } from "@bufbuild/protobuf";
import type { Validator } from "@bufbuild/protovalidate";
import type { RouteRule } from "../core/route-selector.js";
import { Code, RpcError } from "../core/rpc-error.js";
import { importOptionalPeer } from "../util/optional-peer.js";
import { violationError } from "./bad-request.js";

/** What is validated on a route. */
export interface ValidationRouteOptions {
  /** Validate request messages (every message of a client or bidi stream). Default true. */
  requests?: boolean;
  /**
   * Validate unary responses too, for development: a response that breaks its
   * rules answers 500 INTERNAL, with the violations only in the error's
   * `cause` (the `errorHandler`'s and the access log's error), never in the
   * body. Default false.
   */
  responses?: boolean;
}

/**
 * The mux's `validate` option: protovalidate (`buf.validate`) rules enforced
 * before the backend is called, with `@bufbuild/protovalidate` (an optional
 * peer, loaded only when this option is on).
 */
export interface ValidationOptions extends ValidationRouteOptions {
  /**
   * Per-route overrides (the first rule whose `match` fits): `false` turns
   * validation off there, options replace the mux-wide ones. A Connect, gRPC
   * or gRPC-Web call fits only selectors without `template` and `httpMethod`.
   */
  routes?: readonly RouteRule<ValidationRouteOptions>[];
  /** Report only the first violation of a message. Default false: all of them. */
  failFast?: boolean;
}

/**
 * protovalidate's validator, loaded on construction (an `import()`, so that a
 * mux without validation never loads it); a check before the load finished
 * waits for it. Rules are compiled per message type on first use and kept.
 * @internal
 */
export class MessageValidator {
  #validator: Validator | undefined;
  #failure: RpcError | undefined;
  readonly #loaded: Promise<void>;

  constructor(registry: Registry | undefined, failFast: boolean) {
    this.#loaded = importOptionalPeer(
      "@bufbuild/protovalidate",
      "the validate option",
      () => import("@bufbuild/protovalidate"),
    ).then(
      (pv) => {
        this.#validator = pv.createValidator({
          ...(registry === undefined ? {} : { registry }),
          failFast,
        });
      },
      (err: unknown) => {
        this.#failure = RpcError.from(err, Code.Internal);
      },
    );
  }

  /** A request's check: undefined when valid, else the 400 INVALID_ARGUMENT answer (a promise only while protovalidate loads). */
  request(
    desc: DescMessage,
    message: Message,
    useProtoFieldName: boolean,
  ): RpcError | undefined | Promise<RpcError | undefined> {
    const validator = this.#validator;
    if (validator === undefined) {
      return this.#loaded.then(() => {
        if (this.#failure !== undefined) return this.#failure;
        return this.request(desc, message, useProtoFieldName) as RpcError | undefined;
      });
    }
    const result = validator.validate(desc, message as never);
    switch (result.kind) {
      case "valid":
        return undefined;
      case "invalid":
        return violationError(result.violations, useProtoFieldName);
      default:
        return new RpcError(`the validation rules of ${desc.typeName} failed`, Code.Internal, {
          cause: result.error,
        });
    }
  }

  /** A response's check: undefined when valid, else a 500 INTERNAL whose cause holds the violations. */
  response(
    desc: DescMessage,
    message: Message,
  ): RpcError | undefined | Promise<RpcError | undefined> {
    const checked = this.request(desc, message, false);
    const toInternal = (error: RpcError | undefined) =>
      error === undefined || error.code === Code.Internal
        ? error
        : new RpcError(`the backend's ${desc.typeName} broke its validation rules`, Code.Internal, {
            cause: error,
          });
    return checked instanceof Promise ? checked.then(toInternal) : toInternal(checked);
  }
}
