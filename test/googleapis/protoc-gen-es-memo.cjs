#!/usr/bin/env node
// protoc-gen-es for the large-API proof, as its own bin runs it, with one
// change: protoplugin's name lookups (`generatedShapeName`…) are answered
// from the names of the file computed once. protoplugin computes them anew
// for every lookup (`allNames` in its names.js), so on
// google/cloud/compute/v1 (2,020 messages) protoc-gen-es takes minutes. The
// names are computed by the same rules, and each file's are checked against
// protoplugin's own answer for its first declaration; a file where they
// differ (a protoplugin upgrade) is answered by protoplugin, so the output is
// the same either way.
const { join } = require("node:path");
const root = join(__dirname, "../..");
const plugin = join(root, "node_modules/@bufbuild/protoplugin/dist/cjs");
const names = require(join(plugin, "names.js"));
const { safeIdentifier } = require(join(plugin, "safe-identifier.js"));
const { nestedTypes } = require("@bufbuild/protobuf/reflect");

const salt = (i) => (i === 0 ? "" : i === 1 ? "$" : `$${i - 1}`);
const identifier = (desc) => {
  const pkg = desc.file.proto.package;
  return desc.typeName.substring(pkg.length > 0 ? pkg.length + 1 : 0).replace(/\./g, "_");
};

/** protoplugin's allNames: shape, descriptor, JSON and Valid type names, clashes salted in that order. */
function allNames(file) {
  const taken = new Set();
  const pick = (ideal) => {
    for (let i = 0; ; i++) {
      const name = ideal(i);
      if (!taken.has(name)) {
        taken.add(name);
        return name;
      }
    }
  };
  const types = [...nestedTypes(file)];
  const shaped = types.filter((d) => d.kind === "enum" || d.kind === "message");
  const shapeNames = new Map();
  for (const d of shaped)
    shapeNames.set(
      d,
      pick((i) => safeIdentifier(identifier(d) + salt(i))),
    );
  const descNames = new Map();
  descNames.set(
    file,
    pick((i) => safeIdentifier(`file_${file.name.replace(/[^a-zA-Z0-9_]+/g, "_")}${salt(i)}`)),
  );
  for (const d of types) {
    const suffix = d.kind === "enum" || d.kind === "message" ? "Schema" : "";
    descNames.set(
      d,
      pick((i) => safeIdentifier(identifier(d) + suffix + salt(i))),
    );
  }
  const jsonTypeNames = new Map();
  for (const d of shaped)
    jsonTypeNames.set(
      d,
      pick((i) => safeIdentifier(`${identifier(d)}Json${salt(i)}`)),
    );
  const validTypeNames = new Map();
  for (const d of shaped)
    validTypeNames.set(
      d,
      pick((i) => safeIdentifier(`${identifier(d)}Valid${salt(i)}`)),
    );
  return {
    generatedDescName: descNames,
    generatedShapeName: shapeNames,
    generatedJsonTypeName: jsonTypeNames,
    generatedValidTypeName: validTypeNames,
  };
}

const files = new WeakMap();
for (const key of [
  "generatedDescName",
  "generatedShapeName",
  "generatedJsonTypeName",
  "generatedValidTypeName",
]) {
  const lookup = names[key];
  names[key] = (desc) => {
    const file = desc.kind === "file" ? desc : desc.file;
    let computed = files.get(file);
    if (computed === undefined) {
      computed = allNames(file);
      if (computed[key].get(desc) !== lookup(desc)) computed = null;
      files.set(file, computed);
    }
    return computed?.[key].get(desc) ?? lookup(desc);
  };
}
const { runNodeJs } = require(join(plugin, "index.js"));
const { protocGenEs } = require(
  join(root, "node_modules/@bufbuild/protoc-gen-es/dist/cjs/src/protoc-gen-es-plugin.js"),
);
runNodeJs(protocGenEs);
