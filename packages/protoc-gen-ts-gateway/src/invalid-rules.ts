import type { GenerationError } from "./source-location.js";

/** `on_invalid_rule`: fail the run (default), or generate the rest and warn. */
export type InvalidRuleMode = "error" | "skip";

/**
 * Every rule of a run that cannot be served (an invalid template or field, a
 * conflict between two routes), one `file.proto:line:col: pkg.Service.Method:
 * reason` per line, so that one run names them all.
 */
export class InvalidRulesError extends Error {
  constructor(readonly problems: readonly GenerationError[]) {
    const n = problems.length;
    super(
      `${problems.map((p) => p.message).join("\n")}\n${n} google.api.http rule${n === 1 ? "" : "s"} cannot be served; on_invalid_rule=skip generates everything else and prints these as warnings`,
    );
    this.name = "InvalidRulesError";
  }
}

/**
 * Collects the problems of a run, each once (the TypeScript targets and the
 * OpenAPI documents meet the same rules).
 */
export class InvalidRules {
  readonly #seen = new Set<string>();
  readonly problems: GenerationError[] = [];

  readonly report = (error: GenerationError): void => {
    if (this.#seen.has(error.message)) return;
    this.#seen.add(error.message);
    this.problems.push(error);
  };
}
