// google.api.visibility and openapi_visibility_restriction_selectors, against
// grpc-gateway's own expectations: its visibility-rule echo service generated
// once per selector set its examples use (test/openapi/buf.gen.yaml, with
// grpc-gateway's legacy schema names) has the operations, schemas, fields and
// enum values of grpc-gateway's swagger.json for the same selectors
// (third_party/grpc-gateway/…/visibility_rule_*_echo_service.swagger.json).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { compileErrors, validate } from "@readme/openapi-parser";

type Doc = Record<string, any>;

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

const examplepb = "examples/internal/proto/examplepb";

/** `METHOD path operationId` of every operation. */
function operationsOf(paths: Record<string, Record<string, Doc>>): string[] {
  return Object.entries(paths)
    .flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => `${method} ${path} ${op.operationId}`),
    )
    .sort();
}

/** The enum names a schema lists (grpc-gateway: `enum`; ours: the string branch of `anyOf`). */
function enumNames(schema: Doc): string[] | undefined {
  return schema.enum ?? schema.anyOf?.find((s: Doc) => s.type === "string")?.enum;
}

const cases = ["none", "internal", "preview", "preview_and_internal"];

describe("visibility rules as grpc-gateway's examples expect them", () => {
  for (const selectors of cases) {
    describe(`selectors: ${selectors}`, () => {
      const load = async () => {
        const ours: Doc = JSON.parse(
          await readFile(
            join(
              repoRoot,
              `test/gen/grpc-gateway/visibility/${selectors}/${examplepb}/visibility_rule_echo_service.openapi.json`,
            ),
            "utf8",
          ),
        );
        const theirs: Doc = JSON.parse(
          await readFile(
            join(
              repoRoot,
              `third_party/grpc-gateway/${examplepb}/visibility_rule_${selectors}_echo_service.swagger.json`,
            ),
            "utf8",
          ),
        );
        return { ours, theirs };
      };

      test("the same operations", async () => {
        const { ours, theirs } = await load();
        assert.deepEqual(operationsOf(ours.paths), operationsOf(theirs.paths));
      });

      test("the same schemas, fields and enum values", async () => {
        const { ours, theirs } = await load();
        const schemas = ours.components.schemas as Record<string, Doc>;
        assert.deepEqual(Object.keys(schemas).sort(), Object.keys(theirs.definitions).sort());
        for (const [name, definition] of Object.entries(
          theirs.definitions as Record<string, Doc>,
        )) {
          const schema = schemas[name]!;
          assert.deepEqual(
            Object.keys(schema.properties ?? {}),
            Object.keys(definition.properties ?? {}),
            name,
          );
          assert.deepEqual(enumNames(schema), definition.enum, name);
        }
      });

      test("validates as OpenAPI 3.1", async () => {
        const { ours } = await load();
        const result = await validate(structuredClone(ours) as never);
        assert.ok(result.valid, compileErrors(result));
      });
    });
  }
});
