import { readFileSync } from "node:fs";
import { fromJson } from "@bufbuild/protobuf";
import { parse } from "yaml";
import { type HttpRule, HttpRuleSchema } from "./proto/google/api/http_pb.js";

/** A problem with the `grpc_api_configuration` file: reported like an error in a proto. */
export class ApiConfigurationError extends Error {
  constructor(path: string, message: string) {
    super(`grpc_api_configuration ${path}: ${message}`);
    this.name = "ApiConfigurationError";
  }
}

/**
 * Reads the `http.rules` of a `google.api.Service` YAML file (grpc-gateway's
 * `grpc_api_configuration`), keyed by selector (`package.Service.Method`).
 */
export function readApiConfiguration(path: string | undefined): ReadonlyMap<string, HttpRule> {
  const rules = new Map<string, HttpRule>();
  if (path === undefined) return rules;
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ApiConfigurationError(path, `${err instanceof Error ? err.message : String(err)}`);
  }
  const list = (doc as { http?: { rules?: unknown } } | null)?.http?.rules;
  if (list === undefined) return rules;
  if (!Array.isArray(list)) throw new ApiConfigurationError(path, `http.rules must be a list`);
  for (const [i, raw] of list.entries()) {
    let rule: HttpRule;
    try {
      rule = fromJson(HttpRuleSchema, raw);
    } catch (err) {
      throw new ApiConfigurationError(
        path,
        `http.rules[${i}]: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (rule.selector === "")
      throw new ApiConfigurationError(path, `http.rules[${i}] has no selector`);
    rules.set(rule.selector, rule);
  }
  return rules;
}
