import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type CompiledPattern,
  compilePathTemplate,
  parsePathTemplate,
  pattern,
  TemplateError,
  variableEnd,
} from "../../packages/runtime/src/core/path-template.js";
import { prng as random } from "../support/prng.js";

const lit = (value: string) => ({ kind: "literal" as const, value });
const star = { kind: "wildcard" as const };
const deep = { kind: "deep" as const };

describe("compilePathTemplate", () => {
  const cases: Array<{ template: string; want: Omit<CompiledPattern, "template"> }> = [
    { template: "/", want: { segments: [], variables: [] } },
    {
      template: "/v1/messages/{message_id}",
      want: {
        segments: [lit("v1"), lit("messages"), star],
        variables: [{ fieldPath: "message_id", start: 2, end: 3 }],
      },
    },
    {
      template: "/v1/{name=messages/*}",
      want: {
        segments: [lit("v1"), lit("messages"), star],
        variables: [{ fieldPath: "name", start: 1, end: 3 }],
      },
    },
    {
      template: "/v1/users/{user_id}/messages/{message_id}",
      want: {
        segments: [lit("v1"), lit("users"), star, lit("messages"), star],
        variables: [
          { fieldPath: "user_id", start: 2, end: 3 },
          { fieldPath: "message_id", start: 4, end: 5 },
        ],
      },
    },
    {
      template: "/v1/{name=shelves/*/books/*}",
      want: {
        segments: [lit("v1"), lit("shelves"), star, lit("books"), star],
        variables: [{ fieldPath: "name", start: 1, end: 5 }],
      },
    },
    {
      template: "/v1/{book.name=shelves/*/books/*}:publish",
      want: {
        segments: [lit("v1"), lit("shelves"), star, lit("books"), star],
        verb: "publish",
        variables: [{ fieldPath: "book.name", start: 1, end: 5 }],
      },
    },
    {
      template: "/v1/files/{path=**}",
      want: {
        segments: [lit("v1"), lit("files"), deep],
        variables: [{ fieldPath: "path", start: 2, end: -1 }],
      },
    },
    {
      template: "/v1/{name=shelves/**}",
      want: {
        segments: [lit("v1"), lit("shelves"), deep],
        variables: [{ fieldPath: "name", start: 1, end: -1 }],
      },
    },
    { template: "/v1/a/**", want: { segments: [lit("v1"), lit("a"), deep], variables: [] } },
    { template: "/v1/*/x", want: { segments: [lit("v1"), star, lit("x")], variables: [] } },
    {
      template: "/v1/{a=*}",
      want: { segments: [lit("v1"), star], variables: [{ fieldPath: "a", start: 1, end: 2 }] },
    },
    {
      template: "/v1/{a=x}",
      want: { segments: [lit("v1"), lit("x")], variables: [{ fieldPath: "a", start: 1, end: 2 }] },
    },
    {
      template: "/v1/{a}:cancel",
      want: {
        segments: [lit("v1"), star],
        verb: "cancel",
        variables: [{ fieldPath: "a", start: 1, end: 2 }],
      },
    },
    { template: "/v1/a:do", want: { segments: [lit("v1"), lit("a")], verb: "do", variables: [] } },
    // The verb is after the last ':' of the last segment; earlier colons are literal.
    {
      template: "/v1/a:b:c",
      want: { segments: [lit("v1"), lit("a:b")], verb: "c", variables: [] },
    },
    { template: "/v1:x/y", want: { segments: [lit("v1:x"), lit("y")], variables: [] } },
    { template: "/v1/*:verb", want: { segments: [lit("v1"), star], verb: "verb", variables: [] } },
    { template: "/v1/**:verb", want: { segments: [lit("v1"), deep], verb: "verb", variables: [] } },
    {
      template: "/v1/{p=**}:undelete",
      want: {
        segments: [lit("v1"), deep],
        verb: "undelete",
        variables: [{ fieldPath: "p", start: 1, end: -1 }],
      },
    },
    // '**' followed by literals (Google's production routes, accepted by Envoy):
    // the variable's end counts from the end of the path.
    {
      template: "/v1/{parent=projects/*/dataStores/**}/suggestionDenyListEntries:purge",
      want: {
        segments: [
          lit("v1"),
          lit("projects"),
          star,
          lit("dataStores"),
          deep,
          lit("suggestionDenyListEntries"),
        ],
        verb: "purge",
        variables: [{ fieldPath: "parent", start: 1, end: -2 }],
      },
    },
    {
      template: "/v1/{a=**/b}/c/d",
      want: {
        segments: [lit("v1"), deep, lit("b"), lit("c"), lit("d")],
        variables: [{ fieldPath: "a", start: 1, end: -3 }],
      },
    },
    {
      template: "/v1/{a=x}/**/y",
      want: {
        segments: [lit("v1"), lit("x"), deep, lit("y")],
        variables: [{ fieldPath: "a", start: 1, end: 2 }],
      },
    },
    // Literals are stored percent-decoded.
    { template: "/%76%31/a%20b", want: { segments: [lit("v1"), lit("a b")], variables: [] } },
    { template: "/v1/caf%C3%A9", want: { segments: [lit("v1"), lit("café")], variables: [] } },
    // pchar sub-delims, ':' and '@' are literal characters.
    {
      template: "/a@b/x=y/!$&'()+,;",
      want: { segments: [lit("a@b"), lit("x=y"), lit("!$&'()+,;")], variables: [] },
    },
    {
      template: "/v1/{_a.b_2.C}",
      want: {
        segments: [lit("v1"), star],
        variables: [{ fieldPath: "_a.b_2.C", start: 1, end: 2 }],
      },
    },
  ];
  for (const { template, want } of cases) {
    test(template, () => {
      const got = compilePathTemplate(template);
      assert.deepEqual(got, { template, ...want });
      // Plain data: survives a JSON round trip unchanged.
      assert.deepEqual(JSON.parse(JSON.stringify(got)), got);
    });
  }

  test("pattern() is the runtime alias", () => {
    assert.deepEqual(pattern("/healthz"), compilePathTemplate("/healthz"));
  });
});

describe("invalid templates", () => {
  const cases: Array<{ template: string; reason: string; position: number }> = [
    { template: "", reason: "must start with '/'", position: 0 },
    { template: "v1/a", reason: "must start with '/'", position: 0 },
    { template: "/v1//a", reason: "empty segment", position: 4 },
    { template: "/v1/", reason: "empty segment", position: 4 },
    { template: "//", reason: "empty segment", position: 1 },
    { template: "/:verb", reason: "empty segment", position: 1 },
    { template: "/v1/{", reason: "unbalanced '{'", position: 4 },
    { template: "/v1/{a", reason: "unbalanced '{'", position: 4 },
    { template: "/v1/{a=b", reason: "unbalanced '{'", position: 4 },
    { template: "/v1/}", reason: "unbalanced '}'", position: 4 },
    { template: "/v1/a}", reason: "unbalanced '}'", position: 5 },
    { template: "/v1/a{b}", reason: "'{' must start a segment", position: 5 },
    { template: "/v1/{a{b}}", reason: "cannot contain another variable", position: 6 },
    { template: "/v1/{a=b/{c}}", reason: "cannot contain another variable", position: 9 },
    { template: "/v1/{a}/{a}", reason: "duplicate variable 'a'", position: 8 },
    { template: "/v1/{a.b}/{a.b}", reason: "duplicate variable 'a.b'", position: 10 },
    { template: "/v1/{a}/{a.b}", reason: "variables 'a' and 'a.b' overlap", position: 8 },
    // After '**' only literals, as in Envoy (firestore's ListDocuments is refused there too).
    {
      template: "/v1/{parent=projects/*/databases/*/documents/**}/{collection_id}",
      reason: "'**' may be followed only by literal segments, not by the variable 'collection_id'",
      position: 49,
    },
    { template: "/v1/{a=**}/{b}", reason: "not by the variable 'b'", position: 11 },
    { template: "/v1/**/{b=c}", reason: "not by the variable 'b'", position: 7 },
    { template: "/v1/**/*", reason: "'*' cannot follow '**'", position: 7 },
    { template: "/v1/{a=**/*}", reason: "'*' cannot follow '**'", position: 10 },
    { template: "/v1/**/x/**", reason: "'**' cannot follow '**'", position: 9 },
    { template: "/v1/***", reason: "neither '*' nor '**'", position: 4 },
    { template: "/v1/{1a}", reason: "invalid field name '1a'", position: 5 },
    { template: "/v1/{a.}", reason: "expected a field name", position: 7 },
    { template: "/v1/{.a}", reason: "expected a field name", position: 5 },
    { template: "/v1/{}", reason: "expected a field name", position: 5 },
    { template: "/v1/{a-b}", reason: "invalid character '-' in field path", position: 6 },
    { template: "/v1/{a=}", reason: "empty segment", position: 7 },
    { template: "/v1/{a=b/}", reason: "empty segment", position: 9 },
    { template: "/v1/{a}x", reason: "expected '/' or ':' after a variable", position: 7 },
    { template: "/v1/a b", reason: "invalid character U+0020 in literal", position: 5 },
    { template: "/v1/a?b", reason: "invalid character '?' in literal", position: 5 },
    { template: "/v1/é", reason: "invalid character U+00e9 in literal", position: 4 },
    { template: "/v1/a%zz", reason: "malformed percent-encoding in literal", position: 5 },
    { template: "/v1/a%4", reason: "malformed percent-encoding in literal", position: 5 },
    { template: "/v1/%ff", reason: "not valid UTF-8", position: 4 },
    { template: "/v1/a:", reason: "empty custom verb", position: 5 },
    { template: "/v1/{a}:", reason: "empty custom verb", position: 7 },
    { template: "/v1/{a}:b:c", reason: "custom verb cannot contain ':'", position: 9 },
    { template: "/v1/{a}:b/c", reason: "custom verb must end the template", position: 9 },
    { template: "/v1/a:b c", reason: "invalid character U+0020 in custom verb", position: 7 },
  ];
  for (const { template, reason, position } of cases) {
    test(JSON.stringify(template), () => {
      assert.throws(
        () => parsePathTemplate(template),
        (error: unknown) => {
          assert.ok(error instanceof TemplateError, `not a TemplateError: ${String(error)}`);
          assert.equal(error.template, template);
          assert.ok(error.reason.includes(reason), `reason "${error.reason}" lacks "${reason}"`);
          assert.equal(error.position, position, error.message);
          assert.ok(error.message.includes(JSON.stringify(template)));
          assert.ok(error.message.includes(reason));
          return true;
        },
      );
    });
  }
});

describe("property: the parser only ever throws TemplateError", () => {
  const pieces = [
    "/",
    "{",
    "}",
    "=",
    ".",
    ":",
    "*",
    "**",
    "a",
    "b1",
    "_",
    "%",
    "%2F",
    "%zz",
    "é",
    " ",
    "v1",
    "x.y",
  ];
  test("5000 random templates", () => {
    const next = random(0x5eed);
    let valid = 0;
    for (let i = 0; i < 5000; i++) {
      let template = next() < 0.9 ? "/" : "";
      const length = Math.floor(next() * 12);
      for (let j = 0; j < length; j++) template += pieces[Math.floor(next() * pieces.length)];
      try {
        const compiled = compilePathTemplate(template);
        valid++;
        assert.deepEqual(JSON.parse(JSON.stringify(compiled)), compiled);
        assert.equal(compiled.template, template);
        const n = compiled.segments.length;
        const deepAt = compiled.segments.findIndex((s) => s.kind === "deep");
        for (const v of compiled.variables) {
          const end = variableEnd(v, n);
          assert.ok(v.start >= 0 && v.start < end && end <= n, template);
          // A negative end exactly when the variable holds the '**'.
          assert.equal(v.end < 0, deepAt >= v.start && deepAt < end, template);
        }
        // Only literals after '**', and no variable starts after it.
        compiled.segments.forEach((s, k) => {
          assert.ok(deepAt === -1 || k <= deepAt || s.kind === "literal", template);
        });
        for (const v of compiled.variables) assert.ok(deepAt === -1 || v.start <= deepAt, template);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        assert.ok(error.position >= 0 && error.position <= template.length, error.message);
      }
    }
    assert.ok(valid > 100, `only ${valid} valid templates generated`);
  });
});
