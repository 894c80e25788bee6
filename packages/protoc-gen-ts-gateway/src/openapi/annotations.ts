import {
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  type DescMethod,
  type DescService,
  type FileRegistry,
  fromJson,
  getOption,
  hasOption,
  type JsonValue,
} from "@bufbuild/protobuf";
import type { GenMessage } from "@bufbuild/protobuf/codegenv2";
import {
  openapiv2_enum,
  openapiv2_field,
  openapiv2_operation,
  openapiv2_schema,
  openapiv2_swagger,
  openapiv2_tag,
} from "../proto/protoc-gen-openapiv2/options/annotations_pb.js";
import {
  type EnumSchema,
  type JSONSchema,
  JSONSchemaSchema,
  type Operation,
  OperationSchema,
  type Schema,
  SchemaSchema,
  type Swagger,
  SwaggerSchema,
  type Tag,
  TagSchema,
} from "../proto/protoc-gen-openapiv2/options/openapiv2_pb.js";

/**
 * grpc-gateway's `openapi_configuration` file, `openapiOptions:` part: per
 * element options (file, method, message, service, field), as JSON (protojson
 * of the openapiv2 option messages, as grpc-gateway reads them).
 */
export interface ConfiguredOptions {
  readonly file?: ReadonlyArray<{ file: string; option: JsonValue }>;
  readonly method?: ReadonlyArray<{ method: string; option: JsonValue }>;
  readonly message?: ReadonlyArray<{ message: string; option: JsonValue }>;
  readonly service?: ReadonlyArray<{ service: string; option: JsonValue }>;
  readonly field?: ReadonlyArray<{ field: string; option: JsonValue }>;
}

/** A configured option names an element the run does not have, or does not parse. */
export class ConfiguredOptionError extends Error {
  constructor(message: string) {
    super(`openapi_configuration: ${message}`);
    this.name = "ConfiguredOptionError";
  }
}

/**
 * The `grpc.gateway.protoc_gen_openapiv2.options` of each element: the
 * `openapi_configuration` file's entry for it, else its annotation (as
 * grpc-gateway looks them up: the file wins).
 */
export class OpenApiV2Annotations {
  readonly #files = new Map<string, Swagger>();
  readonly #methods = new Map<string, Operation>();
  readonly #messages = new Map<string, Schema>();
  readonly #services = new Map<string, Tag>();
  readonly #fields = new Map<string, JSONSchema>();

  constructor(configured: ConfiguredOptions = {}, registry?: FileRegistry) {
    // buf runs the plugin once per directory: an entry for a package (or
    // file) this run does not have is someone else's; a name in a package it
    // has must exist.
    const packages = new Set([...(registry?.files ?? [])].map((f) => f.proto.package));
    const inRun = (name: string) => {
      for (let dot = name.lastIndexOf("."); dot > 0; dot = name.lastIndexOf(".", dot - 1)) {
        if (packages.has(name.slice(0, dot))) return true;
      }
      return false;
    };
    const load = <T extends { $typeName: string }>(
      kind: string,
      entries: ReadonlyArray<{ name: string; option: JsonValue }> | undefined,
      schema: GenMessage<T>,
      into: Map<string, T>,
      exists: (name: string) => boolean,
      ours: (name: string) => boolean = inRun,
    ) => {
      for (const { name, option } of entries ?? []) {
        if (!exists(name)) {
          if (!ours(name)) continue;
          throw new ConfiguredOptionError(`no ${kind} ${name} found`);
        }
        try {
          into.set(name, fromJson(schema, option));
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          throw new ConfiguredOptionError(`${kind} ${name}: ${why}`);
        }
      }
    };
    const kindOf = (name: string) => registry?.get(name)?.kind;
    const files = configured.file?.map((e) => ({ name: e.file, option: e.option }));
    const hasFile = (n: string) => registry?.getFile(n) !== undefined;
    load("file", files, SwaggerSchema, this.#files, hasFile, hasFile);
    const methods = configured.method?.map((e) => ({ name: e.method, option: e.option }));
    load("method", methods, OperationSchema, this.#methods, (n) => {
      const dot = n.lastIndexOf(".");
      const service = registry?.getService(n.slice(0, dot));
      return service?.methods.some((m) => m.name === n.slice(dot + 1)) ?? false;
    });
    const messages = configured.message?.map((e) => ({ name: e.message, option: e.option }));
    load("message", messages, SchemaSchema, this.#messages, (n) => kindOf(n) === "message");
    const services = configured.service?.map((e) => ({ name: e.service, option: e.option }));
    load("service", services, TagSchema, this.#services, (n) => kindOf(n) === "service");
    const fields = configured.field?.map((e) => ({ name: e.field, option: e.option }));
    load("field", fields, JSONSchemaSchema, this.#fields, (n) => {
      const dot = n.lastIndexOf(".");
      const message = registry?.getMessage(n.slice(0, dot));
      return message?.fields.some((f) => f.name === n.slice(dot + 1)) ?? false;
    });
  }

  file(desc: DescFile): Swagger | undefined {
    const own = hasOption(desc, openapiv2_swagger) ? getOption(desc, openapiv2_swagger) : undefined;
    return this.#files.get(desc.proto.name) ?? own;
  }

  method(desc: DescMethod): Operation | undefined {
    const own = hasOption(desc, openapiv2_operation)
      ? getOption(desc, openapiv2_operation)
      : undefined;
    return this.#methods.get(`${desc.parent.typeName}.${desc.name}`) ?? own;
  }

  message(desc: DescMessage): Schema | undefined {
    const own = hasOption(desc, openapiv2_schema) ? getOption(desc, openapiv2_schema) : undefined;
    return this.#messages.get(desc.typeName) ?? own;
  }

  service(desc: DescService): Tag | undefined {
    const own = hasOption(desc, openapiv2_tag) ? getOption(desc, openapiv2_tag) : undefined;
    return this.#services.get(desc.typeName) ?? own;
  }

  field(desc: DescField): JSONSchema | undefined {
    const own = hasOption(desc, openapiv2_field) ? getOption(desc, openapiv2_field) : undefined;
    return this.#fields.get(`${desc.parent.typeName}.${desc.name}`) ?? own;
  }

  enum(desc: DescEnum): EnumSchema | undefined {
    return hasOption(desc, openapiv2_enum) ? getOption(desc, openapiv2_enum) : undefined;
  }
}
