import { Code, RpcError } from "../core/rpc-error.js";
import { BadRequestSchema } from "../proto/google/rpc/error_details_pb.js";
import { jsonPath } from "./violation-path.js";

/** What the answer needs of a protovalidate `Violation`. */
export interface RuleViolation {
  readonly message: string;
  readonly ruleId: string;
  readonly field: Parameters<typeof jsonPath>[0];
}

/**
 * The error of a request that broke its message's rules: INVALID_ARGUMENT
 * (HTTP 400) with a `google.rpc.BadRequest` detail holding one
 * `FieldViolation` per violation: `field` the JSON path the client sent,
 * `description` the rule's message, `reason` the rule id (`string.min_len`,
 * or a CEL rule's own id).
 */
export function violationError(
  violations: readonly RuleViolation[],
  useProtoFieldName: boolean,
): RpcError {
  const fieldViolations = violations.map((v) => ({
    field: jsonPath(v.field, useProtoFieldName),
    description: v.message,
    reason: v.ruleId,
  }));
  const first = fieldViolations[0];
  const summary =
    first === undefined
      ? "invalid request"
      : `invalid request: ${first.field === "" ? "" : `${first.field}: `}${first.description}${
          fieldViolations.length > 1 ? ` (and ${fieldViolations.length - 1} more)` : ""
        }`;
  return new RpcError(summary, Code.InvalidArgument, {
    details: [{ desc: BadRequestSchema, value: { fieldViolations } }],
  });
}
