// docs/migrating.md stays true: it has a row for every grpc-gateway
// ServeMuxOption and generator flag and every field of Envoy's
// GrpcJsonTranscoder config (the lists below, taken from grpc-gateway v2's
// runtime/mux.go and protoc-gen-grpc-gateway/main.go and Envoy's
// transcoder.proto), and every row that claims an equivalent names a test
// (`file` › name) that exists: the file is there and holds that name. A row
// without a test must say why none is needed.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const guide = readFileSync(join(root, "docs/migrating.md"), "utf8");

interface Row {
  readonly section: string;
  readonly line: number;
  readonly from: string;
  readonly to: string;
  readonly test: string;
}

/** The cells of a table line, split on unescaped `|`, `\|` unescaped. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replaceAll("\\|", "|"));
}

/** Every body row of every table with a Test column, by section (the `##` heading above it). */
function rows(markdown: string): Row[] {
  const out: Row[] = [];
  let section = "";
  let testColumn = -1;
  const lines = markdown.split("\n");
  for (const [i, line] of lines.entries()) {
    if (line.startsWith("## ")) {
      section = line.slice(3).trim();
      testColumn = -1;
      continue;
    }
    if (!line.startsWith("|")) {
      testColumn = -1;
      continue;
    }
    const c = cells(line);
    if (testColumn === -1) {
      testColumn = c.indexOf("Test");
      continue;
    }
    if (c.every((x) => /^-+$/.test(x))) continue;
    out.push({
      section,
      line: i + 1,
      from: c[0] ?? "",
      to: c[1] ?? "",
      test: c[testColumn] ?? "",
    });
  }
  return out;
}

const table = rows(guide);

/** What each section must have a row for (its first column names them in backticks). */
const required: Record<string, readonly string[]> = {
  "grpc-gateway: `runtime.ServeMuxOption`": [
    "WithMarshalerOption",
    "WithIncomingHeaderMatcher",
    "WithOutgoingHeaderMatcher",
    "WithOutgoingTrailerMatcher",
    "WithMetadata",
    "WithErrorHandler",
    "WithStreamErrorHandler",
    "WithRoutingErrorHandler",
    "WithDisablePathLengthFallback",
    "WithDisableHTTPMethodOverride",
    "WithHealthEndpointAt",
    "WithHealthzEndpoint",
    "WithForwardResponseOption",
    "WithForwardResponseRewriter",
    "WithUnescapingMode",
    "WithMiddlewares",
    "SetQueryParameterParser",
    "WithWriteContentLength",
    "WithDisableChunkedEncoding",
  ],
  "grpc-gateway: `protoc-gen-grpc-gateway` flags": [
    "allow_delete_body",
    "repeated_path_param_separator",
    "warn_on_unbound_methods",
    "generate_unbound_methods",
    "grpc_api_configuration",
    "allow_patch_feature",
    "allow_repeated_fields_in_body",
    "register_func_suffix",
    "standalone",
    "request_context",
    "omit_package_doc",
    "use_opaque_api",
  ],
  "OpenAPI generator flags (protoc-gen-openapiv2)": [
    "disable_default_errors",
    "disable_default_responses",
    "disable_service_tags",
    "include_package_in_tags",
    "simple_operation_ids",
    "openapi_naming_strategy",
    "ignore_comments",
    "remove_internal_comments",
    "proto3_optional_nullable",
    "omit_enum_default_value",
    "visibility_restriction_selectors",
    "openapi_configuration",
    "preserve_rpc_order",
    "json_names_for_fields=false",
    "enums_as_ints",
    "allow_merge",
    "output_format",
  ],
  "Envoy: `GrpcJsonTranscoder` → `gateway.yaml`": [
    "proto_descriptor",
    "proto_descriptor_bin",
    "services",
    "print_options.add_whitespace",
    "print_options.always_print_primitive_fields",
    "print_options.always_print_enums_as_ints",
    "print_options.preserve_proto_field_names",
    "print_options.stream_newline_delimited",
    "print_options.stream_sse_style_delimited",
    "match_incoming_request_route",
    "ignored_query_parameters",
    "auto_mapping",
    "ignore_unknown_query_parameters",
    "convert_grpc_status",
    "url_unescape_spec",
    "query_param_unescape_plus",
    "match_unregistered_custom_verb",
    "request_validation_options.reject_unknown_method",
    "request_validation_options.reject_unknown_query_parameters",
    "request_validation_options.reject_binding_body_field_collisions",
    "case_insensitive_enum_parsing",
    "max_request_body_size",
    "max_response_body_size",
    "capture_unknown_query_parameters",
  ],
};

describe("docs/migrating.md", () => {
  it("has the OpenAPI generator flags section, pointing to docs/openapi.md", () => {
    assert.match(
      guide,
      /^## OpenAPI generator flags \(protoc-gen-openapiv2\)\n\n.*\[openapi\.md\]\(openapi\.md\)/m,
    );
  });

  for (const [section, names] of Object.entries(required)) {
    it(`${section}: a row for each of ${names.length}`, () => {
      const named = new Set(
        table
          .filter((r) => r.section === section)
          .flatMap((r) => [...r.from.matchAll(/`([^`]+)`/g)].map((m) => m[1])),
      );
      assert.deepEqual(
        names.filter((n) => !named.has(n)),
        [],
      );
    });
  }

  it("every row names a test, or says why none is needed", () => {
    const bad = table
      .filter((r) => r.test === "—" || r.test === "")
      .filter((r) => !/^not (needed|offered)|^always on/.test(r.to))
      .map((r) => `line ${r.line}: ${r.from}`);
    assert.deepEqual(bad, []);
  });

  const named = table.filter((r) => r.test !== "—" && r.test !== "");
  it(`names ${named.length} tests, each as \`file\` › name`, () => {
    assert.ok(named.length >= 40, `${named.length} rows with a test`);
    const bad = named.filter((r) => !/^`[^`]+\.test\.ts` › .+$/.test(r.test));
    assert.deepEqual(
      bad.map((r) => `line ${r.line}: ${r.test}`),
      [],
    );
  });

  for (const r of named) {
    const m = /^`([^`]+)` › (.+)$/.exec(r.test);
    if (m === null) continue;
    const [, file = "", name = ""] = m;
    it(`line ${r.line} (${r.from.slice(0, 60)}): ${file} has "${name}"`, () => {
      const path = join(root, file);
      assert.ok(existsSync(path), `${file}: no such file`);
      assert.ok(readFileSync(path, "utf8").includes(name), `${file} has no test "${name}"`);
    });
  }
});
