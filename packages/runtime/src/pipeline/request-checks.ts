import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { SelectedRoute } from "../core/route-selector.js";
import { ruleFor } from "../core/route-selector.js";
import type { RpcError } from "../core/rpc-error.js";
import type {
  MessageValidator,
  ValidationOptions,
  ValidationRouteOptions,
} from "../validation/message-validator.js";
import type { GatewayCall } from "./pipeline.js";

/**
 * Sees each decoded request message before the backend gets it: a unary or
 * server-streaming call's one message (built from path, query and body), and
 * every message of a client or bidi stream, over HTTP and WebSocket. Throw
 * (or reject with) an `RpcError` to refuse it: a unary call answers that
 * error; a stream ends with it, the messages before it already passed on.
 * `call` is the pipeline's record when middlewares are installed. Request
 * validation (the `validate` option) runs before the interceptors, so they see
 * valid messages only.
 */
export type RequestInterceptor = (
  message: Message,
  method: DescMethod,
  call: GatewayCall | undefined,
) => void | Promise<void>;

/** A route's checks of its request messages, composed once; throws or rejects to refuse. @internal */
export type RequestCheck = (
  message: Message,
  call: GatewayCall | undefined,
) => void | Promise<void>;

/** A route's check of its unary responses: the error to answer instead, if any. @internal */
export type ResponseCheck = (
  message: Message,
) => RpcError | undefined | Promise<RpcError | undefined>;

/** What a route's handlers check. @internal */
export interface MessageChecks {
  readonly request: RequestCheck | undefined;
  readonly response: ResponseCheck | undefined;
}

/**
 * The checks of one method's messages: validation where `validation`'s rules
 * turn it on for `route`, then `interceptors` in order; undefined when there is
 * nothing to check, so that a route without costs nothing. @internal
 */
export function messageChecks(
  method: DescMethod,
  route: SelectedRoute,
  validator: MessageValidator | undefined,
  validation: ValidationOptions | undefined,
  interceptors: readonly RequestInterceptor[],
  useProtoFieldName: boolean,
): MessageChecks {
  let on: ValidationRouteOptions | undefined;
  if (validator !== undefined && validation !== undefined) {
    const rule = ruleFor<ValidationRouteOptions>(validation.routes, route);
    if (rule === undefined) on = validation;
    else if (rule.options !== false) on = { ...validation, ...rule.options };
  }
  const validate =
    validator !== undefined && (on?.requests ?? true) && on !== undefined
      ? (message: Message) => validator.request(method.input, message, useProtoFieldName)
      : undefined;
  return {
    request: composeRequest(method, validate, interceptors),
    response:
      validator !== undefined && on?.responses === true
        ? (message) => validator.response(method.output, message)
        : undefined,
  };
}

function composeRequest(
  method: DescMethod,
  validate:
    | ((message: Message) => RpcError | undefined | Promise<RpcError | undefined>)
    | undefined,
  interceptors: readonly RequestInterceptor[],
): RequestCheck | undefined {
  if (validate === undefined && interceptors.length === 0) return undefined;
  const intercept =
    interceptors.length === 0
      ? undefined
      : async (message: Message, call: GatewayCall | undefined) => {
          for (const interceptor of interceptors) await interceptor(message, method, call);
        };
  if (validate === undefined) return intercept;
  return (message, call) => {
    const verdict = validate(message);
    if (verdict instanceof Promise) {
      return verdict.then((error) => {
        if (error !== undefined) throw error;
        return intercept?.(message, call);
      });
    }
    if (verdict !== undefined) throw verdict;
    return intercept?.(message, call);
  };
}
