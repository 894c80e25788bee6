import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { type Document, isScalar, LineCounter, parseDocument, visit } from "yaml";
import { referenceProblems } from "./config-files.js";
import { type GatewayConfig, gatewayConfigSchema } from "./config-schema.js";

/** A configuration problem: `file:line:col: key: message`, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

/** A validated configuration and where it came from. */
export interface LoadedConfig {
  readonly config: GatewayConfig;
  /** The config file's path. */
  readonly file: string;
  /** Resolves a path written in the config (relative to the config file's folder). */
  readonly path: (p: string) => string;
  /** `file:line:col: key` of a key, for errors found after validation (a missing file, a bad route). */
  readonly where: (key: readonly (string | number)[]) => string;
}

type Key = readonly (string | number)[];

/** `services[0].backend` */
export function formatKey(key: Key): string {
  let out = "";
  for (const part of key) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out === "" ? "(top level)" : out;
}

/**
 * Reads a YAML config file: `${NAME}` and `${NAME:-default}` in string values
 * are replaced from `env` (a secret never has to be written in the file),
 * then the whole is checked against the schema. Every problem is reported at
 * once, each naming the file, line and key.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([`${file}: cannot read: ${(err as Error).message}`]);
  }
  return parseConfig(text, file, env, { files: true });
}

/**
 * {@link loadConfig} on text already read; `file` names it in errors and
 * anchors relative paths. With `files`, the files the config names are
 * checked too (loadConfig does).
 */
export function parseConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  check: { files?: boolean } = {},
): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const syntax = [...doc.errors, ...doc.warnings].map((e) => `${at(e.pos[0])}: ${e.message}`);
  if (doc.errors.length > 0) throw new ConfigError(syntax);

  const problems: string[] = [];
  substituteEnv(doc, env, (offset, message) => problems.push(`${at(offset)}: ${message}`));
  const where = (key: Key): string => `${at(offsetOf(doc, key))}: ${formatKey(key)}`;
  if (problems.length > 0) throw new ConfigError(problems);

  // One round: the schema's problems, the references and the files together.
  const raw: unknown = doc.toJS() ?? {};
  const base = dirname(resolve(file));
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const result = gatewayConfigSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path as (string | number)[];
      // An unknown key is reported where it is written, not on its parent.
      const at =
        issue.code === "unrecognized_keys" && issue.keys.length === 1
          ? [...key, issue.keys[0]!]
          : key;
      problems.push(`${where(at)}: ${issueMessage(issue)}`);
    }
  }
  problems.push(...referenceProblems(raw, path, where, check.files === true));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const config = result.data;
  return {
    config,
    file,
    path,
    where,
  };
}

function issueMessage(issue: { code: string; message: string; keys?: readonly string[] }): string {
  if (issue.code === "unrecognized_keys" && issue.keys !== undefined) {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  }
  if (issue.code === "invalid_type" && issue.message.endsWith("received undefined")) {
    return `missing: ${issue.message.replace(/^Invalid input: /, "").replace(/, received undefined$/, "")}`;
  }
  return issue.message;
}

const envReference = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${NAME}` / `${NAME:-default}` in every string scalar. */
function substituteEnv(
  doc: Document,
  env: NodeJS.ProcessEnv,
  report: (offset: number | undefined, message: string) => void,
): void {
  visit(doc, {
    Scalar(key, node) {
      if (key === "key" || typeof node.value !== "string" || !node.value.includes("${")) return;
      const text = node.value;
      const replaced = text.replace(envReference, (whole, name: string, fallback?: string) => {
        const value = env[name];
        if (value !== undefined) return value;
        if (fallback !== undefined) return fallback;
        report(
          node.range?.[0],
          `environment variable ${name} is not set (write \${${name}:-default} for a default)`,
        );
        return whole;
      });
      // A whole-value reference to a number or boolean takes that type ("port: ${PORT}").
      node.value = text.match(envReference)?.[0] === text ? typed(replaced) : replaced;
    },
  });
}

function typed(value: string): string | number | boolean {
  if (/^-?\d+$/.test(value)) return Number(value);
  if (value === "true") return true;
  if (value === "false") return false;
  return value;
}

/** Source offset of the node at `key`, or of its nearest ancestor (a missing key is reported on its parent). */
function offsetOf(doc: Document, key: Key): number | undefined {
  for (let n = key.length; n >= 0; n--) {
    const path = key.slice(0, n);
    if (path.length === 0) return doc.contents?.range?.[0];
    // The key's own position reads better than its value's ("port: x" points at "port").
    const parent = doc.getIn(path.slice(0, -1), true) as
      | { items?: { key?: unknown; value?: { range?: number[] }; range?: number[] }[] }
      | undefined;
    const last = path[path.length - 1];
    const item = parent?.items?.[typeof last === "number" ? last : -1];
    if (typeof last === "number" && item !== undefined) {
      const r = (item as { range?: number[] }).range ?? item.value?.range;
      if (r !== undefined) return r[0];
    }
    if (typeof last === "string") {
      const pair = parent?.items?.find((p) => isScalar(p.key) && p.key.value === last);
      const keyNode = pair?.key as { range?: number[] } | undefined;
      if (keyNode?.range !== undefined) return keyNode.range[0];
    }
  }
  return undefined;
}
