// Writes buf/validate/validate.proto from the descriptor @bufbuild/protovalidate
// embeds, so that buf and protoc compile protos with protovalidate rules offline
// (the BSR module buf.build/bufbuild/protovalidate is out of reach in CI).
//
//   node --import tsx test/support/protovalidate-proto.ts third_party/protovalidate
//
// writes <dir>/buf/validate/validate.proto (the source, regenerated) and
// <dir>/protovalidate.binpb (a FileDescriptorSet of it and its imports, for
// `protoc --descriptor_set_in`). The regenerated source compiles to the same
// descriptor as the embedded one (test/validation/protovalidate-proto.test.ts);
// its comments are gone.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  type DescField,
  type DescFile,
  type DescMessage,
  getOption,
  isFieldSet,
  toBinary,
} from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
  FieldOptionsSchema,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import {
  file_buf_validate_validate,
  predefined,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

/** The source of a proto2 file like validate.proto: messages, oneofs, enums, extensions, ranges and the predefined-rule options. */
export function protoSource(file: DescFile): string {
  const p = file.proto;
  const out: string[] = [
    "// @generated from the descriptor embedded in @bufbuild/protovalidate (test/support/protovalidate-proto.ts).",
    "// The original, with its comments: buf.build/bufbuild/protovalidate.",
    `syntax = "${p.syntax === "" ? "proto2" : p.syntax}";`,
    "",
    `package ${p.package};`,
    "",
    ...p.dependency.map((d) => `import "${d}";`),
    "",
  ];
  const o = p.options;
  if (o !== undefined) {
    if (o.goPackage !== "") out.push(`option go_package = ${JSON.stringify(o.goPackage)};`);
    if (o.javaMultipleFiles) out.push("option java_multiple_files = true;");
    if (o.javaOuterClassname !== "")
      out.push(`option java_outer_classname = ${JSON.stringify(o.javaOuterClassname)};`);
    if (o.javaPackage !== "") out.push(`option java_package = ${JSON.stringify(o.javaPackage)};`);
    out.push("");
  }
  const byExtendee = new Map<string, FieldDescriptorProto[]>();
  for (const x of p.extension) {
    const list = byExtendee.get(x.extendee) ?? [];
    list.push(x);
    byExtendee.set(x.extendee, list);
  }
  for (const [extendee, fields] of byExtendee) {
    out.push(`extend ${extendee} {`);
    for (const f of fields) out.push(`  ${fieldLine(file, f, true)}`);
    out.push("}", "");
  }
  for (const m of p.messageType) out.push(...message(file, m, ""), "");
  for (const e of p.enumType) out.push(...enumLines(e, ""), "");
  return `${out.join("\n").trimEnd()}\n`;
}

function message(file: DescFile, m: DescriptorProto, indent: string): string[] {
  const i = `${indent}  `;
  const out = [`${indent}message ${m.name} {`];
  for (const e of m.enumType) out.push(...enumLines(e, i));
  for (const n of m.nestedType) out.push(...message(file, n, i));
  m.oneofDecl.forEach((oneof, index) => {
    out.push(`${i}oneof ${oneof.name} {`);
    for (const f of m.field) {
      if (inOneof(f) && f.oneofIndex === index) out.push(`${i}  ${fieldLine(file, f, false)}`);
    }
    out.push(`${i}}`);
  });
  for (const f of m.field) {
    if (!inOneof(f)) out.push(`${i}${fieldLine(file, f, true)}`);
  }
  for (const r of m.extensionRange) out.push(`${i}extensions ${range(r.start, r.end)};`);
  for (const r of m.reservedRange) out.push(`${i}reserved ${range(r.start, r.end)};`);
  for (const name of m.reservedName) out.push(`${i}reserved "${name}";`);
  out.push(`${indent}}`);
  return out;
}

/** Whether a field belongs to a (real) oneof; oneof_index is proto2-optional, 0 when unset. */
function inOneof(f: FieldDescriptorProto): boolean {
  return isFieldSet(f, FieldDescriptorProtoSchema.field.oneofIndex) && !f.proto3Optional;
}

function enumLines(e: EnumDescriptorProto, indent: string): string[] {
  return [
    `${indent}enum ${e.name} {`,
    ...e.value.map((v) => `${indent}  ${v.name} = ${v.number};`),
    // An enum's reserved range ends inclusively (a message's exclusively).
    ...e.reservedRange.map((r) => `${indent}  reserved ${range(r.start, r.end + 1)};`),
    ...e.reservedName.map((name) => `${indent}  reserved "${name}";`),
    `${indent}}`,
  ];
}

/** `extensions`/`reserved` ranges: the descriptor's end is exclusive; 536870912 is `max`. */
function range(start: number, end: number): string {
  if (end === 536870912) return `${start} to max`;
  return end - 1 === start ? `${start}` : `${start} to ${end - 1}`;
}

function fieldLine(file: DescFile, f: FieldDescriptorProto, withLabel: boolean): string {
  const label = !withLabel
    ? ""
    : f.label === FieldDescriptorProto_Label.REPEATED
      ? "repeated "
      : f.label === FieldDescriptorProto_Label.REQUIRED
        ? "required "
        : "optional ";
  const type =
    f.type === FieldDescriptorProto_Type.MESSAGE || f.type === FieldDescriptorProto_Type.ENUM
      ? f.typeName
      : FieldDescriptorProto_Type[f.type].toLowerCase();
  const options: string[] = [];
  const o = f.options;
  if (o !== undefined && isFieldSet(o, FieldOptionsSchema.field.deprecated))
    options.push(`deprecated = ${o.deprecated}`);
  if (o !== undefined && isFieldSet(o, FieldOptionsSchema.field.packed))
    options.push(`packed = ${o.packed}`);
  if (f.jsonName !== "" && f.jsonName !== camel(f.name))
    options.push(`json_name = ${JSON.stringify(f.jsonName)}`);
  const field = fieldOf(file, f);
  if (field !== undefined && f.options !== undefined) {
    const rules = getOption(field, predefined);
    if (rules.cel.length > 0) {
      const cel = rules.cel.map(
        (r) =>
          `{id: ${JSON.stringify(r.id)}, message: ${JSON.stringify(r.message)}, expression: ${JSON.stringify(r.expression)}}`,
      );
      options.push(`(buf.validate.predefined) = {cel: [${cel.join(", ")}]}`);
    }
  }
  const suffix = options.length === 0 ? "" : ` [${options.join(", ")}]`;
  return `${label}${type} ${f.name} = ${f.number}${suffix};`;
}

/** The descriptor of a field of the file (for its options), found by its proto. */
function fieldOf(file: DescFile, proto: FieldDescriptorProto): DescField | undefined {
  const find = (messages: readonly DescMessage[]): DescField | undefined => {
    for (const m of messages) {
      const f = m.fields.find((x) => x.proto === proto);
      if (f !== undefined) return f;
      const nested = find(m.nestedMessages);
      if (nested !== undefined) return nested;
    }
    return undefined;
  };
  return find(file.messages);
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A FileDescriptorSet of `file` and its imports, imports first. */
export function descriptorSet(file: DescFile): Uint8Array {
  const files: DescFile[] = [];
  const add = (f: DescFile) => {
    if (files.includes(f)) return;
    for (const d of f.dependencies) add(d);
    files.push(f);
  };
  add(file);
  // FileDescriptorSet is `repeated FileDescriptorProto file = 1`: written field by field.
  const writer = new BinaryWriter();
  for (const f of files)
    writer.tag(1, WireType.LengthDelimited).bytes(toBinary(FileDescriptorProtoSchema, f.proto));
  return writer.finish();
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const dir = process.argv[2] ?? "third_party/protovalidate";
  const file = file_buf_validate_validate;
  const path = join(dir, file.proto.name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, protoSource(file));
  writeFileSync(join(dir, "protovalidate.binpb"), descriptorSet(file));
}
