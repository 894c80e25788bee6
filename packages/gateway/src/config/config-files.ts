import { readFileSync, statSync } from "node:fs";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

type Key = readonly (string | number)[];

/** What a file key holds: a descriptor set is also decoded, PEM may be inline. */
type FileKind = "file" | "descriptorSet" | "pem";

/**
 * Checks what the config names outside itself, on the raw (not yet validated)
 * values, so these problems come in the same round as the schema's: every
 * service's backend exists, and (with `files`) every file it names (descriptor sets, modules,
 * API configurations, certificates, the docs spec, a JWKS file) can be read;
 * a descriptor set must decode as a `FileDescriptorSet`. Each problem is
 * `where(key): message`.
 */
export function referenceProblems(
  raw: unknown,
  path: (p: string) => string,
  where: (key: Key) => string,
  files = true,
): string[] {
  const problems: string[] = [];
  const config = asRecord(raw);
  const backends = asRecord(config.backends);
  const services = Array.isArray(config.services) ? config.services : [];
  for (const [i, entry] of services.entries()) {
    const service = asRecord(entry);
    if (typeof service.backend === "string" && !Object.hasOwn(backends, service.backend)) {
      const known = Object.keys(backends).join(", ");
      problems.push(
        `${where(["services", i, "backend"])}: no backend "${service.backend}" (backends: ${known})`,
      );
    }
  }
  if (!files) return problems;
  for (const [key, value, kind] of fileKeys(config)) {
    if (typeof value !== "string" || value === "") continue;
    if (kind === "pem" && value.startsWith("-----BEGIN")) continue;
    const problem = fileProblem(path(value), value, kind);
    if (problem !== undefined) problems.push(`${where(key)}: ${problem}`);
  }
  return problems;
}

function fileProblem(file: string, written: string, kind: FileKind): string | undefined {
  try {
    if (!statSync(file).isFile()) return `${written} is not a file`;
    if (kind !== "descriptorSet") return undefined;
    const bytes = readFileSync(file);
    try {
      checkDescriptorSet(bytes);
    } catch (err) {
      return `${written} is not a descriptor set (${(err as Error).message}): build it with \`buf build -o ${written}\` or \`protoc --include_imports --descriptor_set_out=${written} ...\``;
    }
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? `${written}: no such file (looked at ${file})`
      : `${written}: ${(err as Error).message}`;
  }
}

/**
 * Checks that `bytes` are a `FileDescriptorSet` holding at least one file, by
 * its wire format: each file a well-formed list of fields. It decodes nothing:
 * a set of Google's Cloud APIs is 50 MB with source info, and decoding it here
 * took 6 s and 500 MB, the services' loading decodes it again anyway.
 */
function checkDescriptorSet(bytes: Uint8Array): void {
  const set = new BinaryReader(bytes);
  let files = 0;
  while (set.pos < set.len) {
    const [field, wireType] = set.tag();
    if (field !== 1 || wireType !== WireType.LengthDelimited) {
      set.skip(wireType);
      continue;
    }
    const file = new BinaryReader(set.bytes());
    while (file.pos < file.len) file.skip(file.tag()[1]);
    files++;
  }
  if (files === 0) throw new Error("it holds no file");
}

/** Every key of the config that names a file, with its raw value. */
function* fileKeys(config: Record<string, unknown>): Generator<[Key, unknown, FileKind]> {
  const services = Array.isArray(config.services) ? config.services : [];
  for (const [i, entry] of services.entries()) {
    const service = asRecord(entry);
    yield [["services", i, "descriptorSet"], service.descriptorSet, "descriptorSet"];
    yield [["services", i, "module"], service.module, "file"];
    yield [["services", i, "apiConfiguration"], service.apiConfiguration, "file"];
  }
  const server = asRecord(config.server);
  const listeners = Array.isArray(server.listeners) ? server.listeners : [];
  const tlsKeys = function* (key: Key, tls: unknown): Generator<[Key, unknown, FileKind]> {
    const t = asRecord(tls);
    for (const name of ["cert", "key", "ca"]) yield [[...key, name], t[name], "pem"];
  };
  for (const [i, l] of listeners.entries()) {
    yield* tlsKeys(["server", "listeners", i, "tls"], asRecord(l).tls);
  }
  yield* tlsKeys(["admin", "listener", "tls"], asRecord(asRecord(config.admin).listener).tls);
  for (const [name, backend] of Object.entries(asRecord(config.backends))) {
    yield* tlsKeys(["backends", name, "tls"], asRecord(backend).tls);
  }
  yield [["docs", "spec"], asRecord(config.docs).spec, "file"];
  yield [["auth", "jwksFile"], asRecord(config.auth).jwksFile, "file"];
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
