import { readFileSync } from "node:fs";
import { basename } from "node:path";
import {
  create,
  createFileRegistry,
  type DescMethod,
  type DescService,
  fromBinary,
} from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  type FileDescriptorSet,
  FileDescriptorSetSchema,
  type SourceCodeInfo_Location,
  SourceCodeInfo_LocationSchema,
  SourceCodeInfoSchema,
} from "@bufbuild/protobuf/wkt";
import type { CallContext, RouteSpec, ServiceRoutes } from "@ts-gateway/runtime";
import { GrpcClient } from "@ts-gateway/runtime";
import {
  checkRouteConflicts,
  collectRoutes,
  type ReportInvalidRule,
  type RouteInfo,
  readApiConfiguration,
} from "protoc-gen-ts-gateway/http-rules";
import { withDeadlines } from "./call-deadlines.js";
import type { GatewayService } from "./gateway-service.js";

/** What {@link servicesFromDescriptorSet} reads. */
export interface DescriptorSetSource {
  /** Path of a `FileDescriptorSet` (`buf build -o api.binpb`, imports included). */
  readonly file: string;
  /** Fully-qualified names of the services to serve; default every service with routes. */
  readonly include?: readonly string[] | undefined;
  /** grpc-gateway's `grpc_api_configuration` YAML: its `http.rules` win over annotations. */
  readonly apiConfiguration?: string | undefined;
  /** Serve methods without rules at `POST /pkg.Service/Method`. */
  readonly generateUnboundMethods?: boolean | undefined;
}

/**
 * Services from a descriptor set read at start-up: messages from protobuf-es's
 * registry (dynamic, no generated code), routes from the `google.api.http`
 * options by the plugin's own `collectRoutes`, so a descriptor set serves
 * exactly the routes generated code would. Throws the plugin's errors
 * (`file.proto:line:col: pkg.Service.Method: …`) for a bad rule; with
 * `report`, every bad rule (and the later of two conflicting routes) goes
 * there and is left out.
 */
export function servicesFromDescriptorSet(
  source: DescriptorSetSource,
  report?: ReportInvalidRule,
): GatewayService[] {
  let set: FileDescriptorSet;
  try {
    set = readDescriptorSet(readFileSync(source.file));
  } catch (err) {
    throw new Error(
      `${basename(source.file)} is not a descriptor set (${(err as Error).message}): build it with \`buf build -o\` or \`protoc --include_imports --descriptor_set_out\``,
    );
  }
  const registry = createFileRegistry(set);
  const rules = readApiConfiguration(source.apiConfiguration);
  const options = {
    generateUnboundMethods: source.generateUnboundMethods ?? false,
    grpcApiConfiguration: source.apiConfiguration,
  };
  const all: DescService[] = [];
  for (const file of registry.files) all.push(...file.services);
  let chosen: DescService[];
  if (source.include === undefined) {
    chosen = all;
  } else {
    chosen = source.include.map((name) => {
      const found = all.find((s) => s.typeName === name);
      if (found === undefined) {
        const known = all.map((s) => s.typeName).join(", ") || "none";
        throw new Error(`${basename(source.file)} has no service ${name} (services: ${known})`);
      }
      return found;
    });
  }
  const perService: Array<{ service: DescService; infos: RouteInfo[] }> = [];
  for (const service of chosen) {
    const infos = collectRoutes(service, options, rules, report);
    if (infos.length === 0 && source.include === undefined) continue;
    perService.push({ service, infos });
  }
  const kept = new Set(
    checkRouteConflicts(
      perService.flatMap((s) => s.infos),
      report,
    ),
  );
  // Source info (comments, spans) only serves the errors above: a descriptor
  // set of Google's Cloud APIs holds 500 MB less without it.
  for (const file of registry.files) file.proto.sourceCodeInfo = undefined;
  const services: GatewayService[] = [];
  for (const { service, infos } of perService) {
    const routes: ServiceRoutes = {
      service,
      routes: infos.filter((info) => kept.has(info)).map(routeSpec),
    };
    services.push({
      routes,
      routeInfos: infos,
      source: source.file,
      register(mux, channel, registerOptions, deadlines = {}) {
        const backend = dynamicClient(service, GrpcClient.fromChannel(channel));
        mux.register(routes, withDeadlines(backend, service, deadlines), registerOptions);
      },
    });
  }
  return services;
}

/** A route as generated code writes it: no `body`/`responseBody` key when empty. */
function routeSpec(info: RouteInfo): RouteSpec {
  return {
    rpc: info.method.localName,
    method: info.httpMethod,
    path: info.path,
    pattern: info.pattern,
    ...(info.body === "" ? {} : { body: info.body }),
    ...(info.responseBody === "" ? {} : { responseBody: info.responseBody }),
  };
}

type Call = (request: unknown, context: CallContext) => unknown;

/**
 * The backend object `mux.register` calls, one function per method by its
 * local name, as a generated client has: each calls grpc-js with protobuf-es
 * (de)serialization of the registry's message descriptors.
 */
function dynamicClient(service: DescService, client: GrpcClient): Record<string, Call> {
  const backend: Record<string, Call> = Object.create(null);
  for (const method of service.methods) backend[method.localName] = callFor(method, client);
  return backend;
}

function callFor(method: DescMethod, client: GrpcClient): Call {
  // `method` is narrowed by its methodKind; the casts only say so to the typed client.
  const m = method as never;
  switch (method.methodKind) {
    case "unary":
      return (request, context) => client.unary(m, request as never, context);
    case "server_streaming":
      return (request, context) => client.serverStream(m, request as never, context);
    case "client_streaming":
      return (requests, context) => client.clientStream(m, requests as never, context);
    case "bidi_streaming":
      return (requests, context) => client.bidiStream(m, requests as never, context);
  }
}

// Field numbers in descriptor.proto.
const SET_FILE = 1;
const FILE_SERVICE = 6;
const FILE_SOURCE_CODE_INFO = 9;
const SOURCE_CODE_INFO_LOCATION = 1;
const LOCATION_PATH = 1;
const SERVICE_METHOD = 2;

/**
 * A descriptor set read one file at a time, each file's source info cut down
 * to the locations of its services and methods (their spans name a bad
 * rule's `file:line:col`; comments and the rest serve no request). Google's
 * Cloud APIs with source info are 50 MB of descriptors, three quarters of it
 * source info: it is skipped undecoded, and each file is decoded from a copy
 * of its own bytes, so the options' extensions (kept as unknown fields, views
 * into the bytes they were read from) do not hold the whole set in memory.
 */
function readDescriptorSet(bytes: Uint8Array): FileDescriptorSet {
  const reader = new BinaryReader(bytes);
  const files: FileDescriptorProto[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field !== SET_FILE || wireType !== WireType.LengthDelimited) {
      reader.skip(wireType);
      continue;
    }
    files.push(readFileDescriptor(reader.bytes()));
  }
  return create(FileDescriptorSetSchema, { file: files });
}

function readFileDescriptor(bytes: Uint8Array): FileDescriptorProto {
  const reader = new BinaryReader(bytes);
  const kept: Uint8Array[] = [];
  let size = 0;
  const locations: SourceCodeInfo_Location[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [field, wireType] = reader.tag();
    if (field === FILE_SOURCE_CODE_INFO && wireType === WireType.LengthDelimited) {
      locations.push(...serviceLocations(reader.bytes()));
      continue;
    }
    reader.skip(wireType);
    kept.push(bytes.subarray(start, reader.pos));
    size += reader.pos - start;
  }
  const own = new Uint8Array(size);
  let offset = 0;
  for (const part of kept) {
    own.set(part, offset);
    offset += part.length;
  }
  const file = fromBinary(FileDescriptorProtoSchema, own);
  if (locations.length > 0) {
    file.sourceCodeInfo = create(SourceCodeInfoSchema, { location: locations });
  }
  return file;
}

/** The locations of a `SourceCodeInfo` whose path is a service (`[6, i]`) or a method (`[6, i, 2, j]`). */
function serviceLocations(info: Uint8Array): SourceCodeInfo_Location[] {
  const reader = new BinaryReader(info);
  const found: SourceCodeInfo_Location[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field !== SOURCE_CODE_INFO_LOCATION || wireType !== WireType.LengthDelimited) {
      reader.skip(wireType);
      continue;
    }
    const location = reader.bytes();
    const path = locationPath(location);
    if (
      path[0] === FILE_SERVICE &&
      (path.length === 2 || (path.length === 4 && path[2] === SERVICE_METHOD))
    ) {
      found.push(fromBinary(SourceCodeInfo_LocationSchema, location.slice()));
    }
  }
  return found;
}

/** A location's `path` (packed, as protoc and buf write it, or not), at most 5 long: enough to tell a method. */
function locationPath(location: Uint8Array): number[] {
  const reader = new BinaryReader(location);
  const path: number[] = [];
  while (reader.pos < reader.len && path.length < 5) {
    const [field, wireType] = reader.tag();
    if (field !== LOCATION_PATH) {
      reader.skip(wireType);
    } else if (wireType === WireType.LengthDelimited) {
      const packed = new BinaryReader(reader.bytes());
      while (packed.pos < packed.len && path.length < 5) path.push(packed.int32());
    } else {
      path.push(reader.int32());
    }
  }
  return path;
}
