/**
 * google.api.HttpRule path templates: parse (with validation) into a
 * {@link TemplateNode}, then compile into a plain-data {@link CompiledPattern}
 * that the route table matches without re-parsing.
 *
 * The plugin parses at generation time, so a bad template is reported there
 * with its proto location; the runtime only matches.
 *
 * @module
 */

import type {
  LiteralNode,
  PlainSegmentNode,
  SegmentNode,
  TemplateNode,
  VariableNode,
} from "./path-template-ast.js";
import { unescapeAll } from "./path-unescape.js";

/** Thrown by {@link parsePathTemplate} and {@link compilePathTemplate} for an invalid template. */
export class TemplateError extends Error {
  override name = "TemplateError";
  /** The template text that failed to parse. */
  readonly template: string;
  /** Zero-based offset in {@link TemplateError.template} of the problem. */
  readonly position: number;
  /** The problem, without the template and position (the message has both). */
  readonly reason: string;

  constructor(template: string, position: number, reason: string) {
    super(`invalid path template ${JSON.stringify(template)}: ${reason} (at offset ${position})`);
    this.template = template;
    this.position = position;
    this.reason = reason;
  }
}

/** One segment of a {@link CompiledPattern}. */
export type PatternSegment =
  /** Matches a segment equal to `value` once percent-decoded. */
  | { readonly kind: "literal"; readonly value: string }
  /** `*`: matches exactly one non-empty segment. */
  | { readonly kind: "wildcard" }
  /**
   * `**`: matches zero or more segments when last, one or more (the fewest
   * that let the rest match) when literal segments follow it.
   */
  | { readonly kind: "deep" };

/** A variable of a {@link CompiledPattern}, as a range of its segments. */
export interface PatternVariable {
  /** Dotted field path, e.g. `book.name`. */
  readonly fieldPath: string;
  /** Index of the first segment the variable covers. */
  readonly start: number;
  /**
   * Index after the last segment it covers; when it contains `**`, a negative
   * index counted from the end of the request path, as in Envoy's transcoder:
   * `-1` to the end, `-2` up to the last segment (`{name=a/**}/b`).
   */
  readonly end: number;
}

/**
 * A compiled path template: plain JSON-serializable data, so the plugin can
 * print it into generated code as an object literal.
 */
export interface CompiledPattern {
  /** The original template text, for messages. */
  readonly template: string;
  /** The segments to match; literal values are percent-decoded. Empty for `/`. */
  readonly segments: readonly PatternSegment[];
  /** The custom verb without its `:`, percent-decoded. */
  readonly verb?: string;
  /** Variables in template order. */
  readonly variables: readonly PatternVariable[];
}

/** Character codes the parser branches on. */
const Char = { Slash: 47, Colon: 58, Dot: 46, Equals: 61, Open: 123, Close: 125 } as const;

/** Characters of an RFC 3986 pchar besides percent escapes: unreserved, sub-delims, `:` and `@`. */
function isPcharCode(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    "-._~!$&'()*+,;=:@".includes(String.fromCharCode(c))
  );
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function describeChar(c: number): string {
  return c >= 33 && c < 127
    ? `'${String.fromCharCode(c)}'`
    : `U+${c.toString(16).padStart(4, "0")}`;
}

/** Recursive-descent parser over the template text, one character at a time. */
class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  private fail(reason: string, at: number = this.pos): never {
    throw new TemplateError(this.src, at, reason);
  }

  parse(): TemplateNode {
    const src = this.src;
    if (src.charCodeAt(0) !== Char.Slash) this.fail("a path template must start with '/'", 0);
    if (src === "/") return { template: src, segments: [] };
    this.pos = 1;
    const segments: SegmentNode[] = [];
    for (;;) {
      if (src.charCodeAt(this.pos) === Char.Open) {
        segments.push(this.variable());
        const c = src.charCodeAt(this.pos);
        if (Number.isNaN(c)) break;
        if (c === Char.Slash) {
          this.pos++;
          continue;
        }
        if (c === Char.Colon) return this.withVerb(segments, this.pos, src.slice(this.pos + 1));
        this.fail(`expected '/' or ':' after a variable, found ${describeChar(c)}`);
      }
      const start = this.pos;
      const text = this.segmentText(false);
      if (Number.isNaN(src.charCodeAt(this.pos))) {
        // The last segment: the custom verb follows its last ':'.
        const colon = text.lastIndexOf(":");
        if (colon === -1) {
          segments.push(this.plainSegment(text, start));
          break;
        }
        segments.push(this.plainSegment(text.slice(0, colon), start));
        return this.withVerb(segments, start + colon, text.slice(colon + 1));
      }
      segments.push(this.plainSegment(text, start));
      this.pos++; // the '/'
    }
    return this.validate({ template: src, segments });
  }

  /** Reads segment text up to '/' (or '}' inside a variable) or the end; rejects braces. */
  private segmentText(inVariable: boolean): string {
    const src = this.src;
    const start = this.pos;
    for (; this.pos < src.length; this.pos++) {
      const c = src.charCodeAt(this.pos);
      if (c === Char.Slash || (inVariable && c === Char.Close)) break;
      if (c === Char.Open) {
        this.fail(
          inVariable
            ? "a variable cannot contain another variable"
            : "'{' must start a segment (a variable spans a whole segment)",
        );
      }
      if (c === Char.Close) this.fail("unbalanced '}'");
    }
    return src.slice(start, this.pos);
  }

  private plainSegment(text: string, at: number): PlainSegmentNode {
    if (text === "") this.fail("empty segment", at);
    if (text === "*") return { kind: "wildcard", position: at };
    if (text === "**") return { kind: "deep", position: at };
    if (/^\*+$/.test(text)) this.fail(`'${text}' is neither '*' nor '**'`, at);
    return this.literal(text, at, "literal");
  }

  private literal(text: string, at: number, what: string): LiteralNode {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 37 /* % */) {
        if (!isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2))) {
          this.fail(`malformed percent-encoding in ${what}`, at + i);
        }
        i += 2;
      } else if (!isPcharCode(c)) {
        this.fail(`invalid character ${describeChar(c)} in ${what}`, at + i);
      }
    }
    const value = unescapeAll(text);
    if (typeof value !== "string") this.fail(`percent-encoding in ${what} is not valid UTF-8`, at);
    return { kind: "literal", raw: text, value, position: at };
  }

  private withVerb(segments: SegmentNode[], colonAt: number, text: string): TemplateNode {
    if (text === "") this.fail("empty custom verb after ':'", colonAt);
    const slash = text.indexOf("/");
    if (slash !== -1) this.fail("the custom verb must end the template", colonAt + 1 + slash);
    const colon = text.indexOf(":");
    if (colon !== -1) this.fail("a custom verb cannot contain ':'", colonAt + 1 + colon);
    const verb = this.literal(text, colonAt + 1, "custom verb").value;
    return this.validate({ template: this.src, segments, verb, verbPosition: colonAt });
  }

  private variable(): VariableNode {
    const src = this.src;
    const open = this.pos++;
    const fieldPath: string[] = [];
    for (;;) {
      const start = this.pos;
      while (this.pos < src.length && isIdentPart(src.charCodeAt(this.pos))) this.pos++;
      const ident = src.slice(start, this.pos);
      if (ident === "" || !isIdentStart(ident.charCodeAt(0))) {
        const c = src.charCodeAt(start);
        if (Number.isNaN(c)) this.fail("unbalanced '{'", open);
        this.fail(
          ident === ""
            ? `expected a field name, found ${describeChar(c)}`
            : `invalid field name '${ident}'`,
          start,
        );
      }
      fieldPath.push(ident);
      const c = src.charCodeAt(this.pos);
      if (c === Char.Dot) {
        this.pos++;
        continue;
      }
      if (c === Char.Close || c === Char.Equals) break;
      if (Number.isNaN(c)) this.fail("unbalanced '{'", open);
      if (c === Char.Open) this.fail("a variable cannot contain another variable");
      this.fail(`invalid character ${describeChar(c)} in field path`);
    }
    if (src.charCodeAt(this.pos) === Char.Close) {
      this.pos++;
      return {
        kind: "variable",
        fieldPath,
        segments: [{ kind: "wildcard", position: open }],
        explicit: false,
        position: open,
      };
    }
    this.pos++; // '='
    const segments: PlainSegmentNode[] = [];
    for (;;) {
      const start = this.pos;
      const text = this.segmentText(true);
      segments.push(this.plainSegment(text, start));
      const c = src.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.fail("unbalanced '{'", open);
      this.pos++;
      if (c === Char.Close) break;
    }
    return { kind: "variable", fieldPath, segments, explicit: true, position: open };
  }

  /**
   * Checks the rules the grammar alone does not: what may follow `**`, and
   * distinct field paths. After a `**` only literal segments may come (Envoy's
   * and ESP's rule): `/v1/{name=a/**}/b:verb` is accepted; a `*`, another
   * `**` or a variable after it would make the match ambiguous and is refused.
   */
  private validate(node: TemplateNode): TemplateNode {
    const seen: string[] = [];
    let deepAt = -1;
    for (const segment of node.segments) {
      if (segment.kind === "variable" && deepAt !== -1) {
        this.fail(
          `'**' may be followed only by literal segments, not by the variable '${segment.fieldPath.join(".")}' (its extent would be ambiguous)`,
          segment.position,
        );
      }
      const inner = segment.kind === "variable" ? segment.segments : [segment];
      for (const s of inner) {
        if (s.kind === "literal") continue;
        if (deepAt !== -1) {
          this.fail(
            `'${s.kind === "deep" ? "**" : "*"}' cannot follow '**': only literal segments may`,
            s.position,
          );
        }
        if (s.kind === "deep") deepAt = s.position;
      }
      if (segment.kind !== "variable") continue;
      const path = segment.fieldPath.join(".");
      for (const other of seen) {
        if (other === path) this.fail(`duplicate variable '${path}'`, segment.position);
        if (path.startsWith(`${other}.`) || other.startsWith(`${path}.`)) {
          this.fail(`variables '${other}' and '${path}' overlap`, segment.position);
        }
      }
      seen.push(path);
    }
    return node;
  }
}

/**
 * Parses and validates an HttpRule path template into its syntax tree.
 *
 * @throws {TemplateError} when the template is invalid.
 */
export function parsePathTemplate(template: string): TemplateNode {
  return new Parser(template).parse();
}

/** Flattens a parsed template into the plain-data form the route table matches. */
export function compileTemplateNode(node: TemplateNode): CompiledPattern {
  const segments: PatternSegment[] = [];
  const variables: Array<PatternVariable & { deep: boolean }> = [];
  const plain = (s: PlainSegmentNode): PatternSegment =>
    s.kind === "literal" ? { kind: "literal", value: s.value } : { kind: s.kind };
  for (const segment of node.segments) {
    if (segment.kind !== "variable") {
      segments.push(plain(segment));
      continue;
    }
    const start = segments.length;
    for (const s of segment.segments) segments.push(plain(s));
    const deep = segment.segments.some((s) => s.kind === "deep");
    variables.push({ fieldPath: segment.fieldPath.join("."), start, end: segments.length, deep });
  }
  const total = segments.length;
  const compiled: CompiledPattern = {
    template: node.template,
    segments,
    // A variable with `**` ends a fixed number of segments before the path's end.
    variables: variables.map(({ fieldPath, start, end, deep }) => ({
      fieldPath,
      start,
      end: deep ? end - total - 1 : end,
    })),
  };
  return node.verb === undefined ? compiled : { ...compiled, verb: node.verb };
}

/**
 * The index after a variable's last segment in a path of `length` segments
 * (the pattern's own length for a pattern): resolves a negative
 * {@link PatternVariable.end}.
 */
export function variableEnd(variable: PatternVariable, length: number): number {
  return variable.end < 0 ? length + variable.end + 1 : variable.end;
}

/**
 * Parses, validates and compiles an HttpRule path template.
 *
 * @example
 * compilePathTemplate("/v1/{name=shelves/*}:publish");
 * // { template: "/v1/{name=shelves/*}:publish",
 * //   segments: [{kind:"literal",value:"v1"}, {kind:"literal",value:"shelves"}, {kind:"wildcard"}],
 * //   variables: [{fieldPath:"name", start:1, end:3}], verb: "publish" }
 * @throws {TemplateError} when the template is invalid.
 */
export function compilePathTemplate(template: string): CompiledPattern {
  return compileTemplateNode(parsePathTemplate(template));
}

/**
 * Compiles a template at runtime, for hand-written routes such as a health
 * endpoint: `table.add("GET", pattern("/healthz"), handler)`.
 *
 * @throws {TemplateError} when the template is invalid.
 */
export function pattern(template: string): CompiledPattern {
  return compilePathTemplate(template);
}

/** Whether the variable covers more than one segment (its value is joined with `/`). */
export function isMultiSegment(variable: PatternVariable): boolean {
  return variable.end < 0 || variable.end - variable.start !== 1;
}
