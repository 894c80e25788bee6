import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { type GeneratedFile, getComments, type Printable } from "@bufbuild/protoplugin";
import type { RouteInfo } from "./http-rules.js";
import { SchemaImports } from "./schema-imports.js";

const RUNTIME = "@ts-gateway/runtime";
const RUNTIME_EXPRESS = "@ts-gateway/runtime/express";
const GRPC = "@grpc/grpc-js";
const PROTOBUF = "@bufbuild/protobuf";

/**
 * What a generated file holds: TypeScript, or JavaScript and declarations
 * printed directly (as protoc-gen-es does), so generation never needs a
 * TypeScript compiler to transpile.
 */
export type Target = "ts" | "js" | "dts";

/** Prints everything generated for one service: API interface, client, grpc-js definition, routes, router. */
export function generateService(
  f: GeneratedFile,
  target: Target,
  service: DescService,
  routes: readonly RouteInfo[],
  imports: SchemaImports = new SchemaImports(f),
): void {
  const names = serviceNames(service);
  if (target !== "js") printApi(f, imports, service, names);
  printClient(f, imports, target, service, names);
  printDefinition(f, imports, target, service, names);
  printRoutes(f, imports, target, service, names, routes);
  printRouter(f, target, names);
}

interface ServiceNames {
  api: string;
  client: string;
  definition: string;
  add: string;
  routes: string;
  register: string;
  createRouter: string;
}

function serviceNames(service: DescService): ServiceNames {
  const n = service.name;
  return {
    api: `${n}Api`,
    client: `${n}Client`,
    definition: `${n}Definition`,
    add: `add${n}`,
    routes: `${n.charAt(0).toLowerCase()}${n.slice(1)}Routes`,
    register: `register${n}`,
    createRouter: `create${n}Router`,
  };
}

/** A parameter of a generated function or method; its type is printed for ts and dts only. */
interface Param {
  readonly name: string;
  readonly type: Printable;
  readonly optional?: boolean;
}

/** `(a: A, b?: B)` for ts and dts, `(a, b)` for js. */
function paramList(target: Target, params: readonly Param[]): Printable {
  const out: Printable[] = ["("];
  params.forEach((p, i) => {
    if (i > 0) out.push(", ");
    out.push(p.name);
    if (target !== "js") out.push(p.optional === true ? "?: " : ": ", p.type);
  });
  out.push(")");
  return out;
}

/**
 * Prints a function (`export function name(…): R {…}`) or, for dts, its
 * declaration. `head` is what precedes the parameters (an export statement,
 * or a method name with its indentation).
 */
function printCallable(
  f: GeneratedFile,
  target: Target,
  indent: string,
  head: Printable,
  params: readonly Param[],
  returns: Printable | undefined,
  body: readonly Printable[],
): void {
  const signature = [indent, head, paramList(target, params)];
  const annotation = target !== "js" && returns !== undefined ? [": ", returns] : [];
  if (target === "dts") {
    f.print(signature, annotation, ";");
    return;
  }
  f.print(signature, annotation, " {");
  for (const line of body) f.print(indent, "  ", line);
  f.print(indent, "}");
}

/** `export const name: T = value;`, `export const name = value;` (js), `export declare const name: T;` (dts). */
function printConst(
  f: GeneratedFile,
  target: Target,
  name: string,
  type: Printable,
  value: Printable,
): void {
  if (target === "dts") f.print(f.export("declare const", name), ": ", type, ";");
  else if (target === "js") f.print(f.export("const", name), " = ", value, ";");
  else f.print(f.export("const", name), ": ", type, " = ", value, ";");
}

function printApi(
  f: GeneratedFile,
  imports: SchemaImports,
  service: DescService,
  names: ServiceNames,
): void {
  const CallContext = f.import("CallContext", RUNTIME, true);
  const MessageInitShape = f.import("MessageInitShape", PROTOBUF, true);
  f.print(
    f.jsDoc(
      `${commentText(service)}The typed API of ${service.typeName}.\n\n` +
        `Implement it to serve the service (over gRPC with {@link ${names.add}}, or in-process\n` +
        `behind the HTTP router); {@link ${names.client}} implements it by calling a remote server.\n` +
        `Implementations may return messages or their init shapes.\n\n` +
        `@generated from service ${service.typeName}`,
    ),
  );
  f.print(f.export("interface", names.api), " {");
  for (const method of service.methods) {
    const output: Printable = [
      MessageInitShape,
      "<typeof ",
      imports.schema(method.output, true),
      ">",
    ];
    const { param, result } = signature(method, imports.shape(method.input), output);
    f.print(f.jsDoc(method, "  "));
    const params = paramList("ts", [param, { name: "context", type: CallContext }]);
    f.print("  ", method.localName, params, ": ", result, ";");
  }
  f.print("}");
  f.print();
}

function printClient(
  f: GeneratedFile,
  imports: SchemaImports,
  target: Target,
  service: DescService,
  names: ServiceNames,
): void {
  const types = target === "dts";
  const GrpcClient = f.import("GrpcClient", RUNTIME, types);
  const CallOptions = f.import("CallOptions", RUNTIME, true);
  const ChannelCredentials = f.import("ChannelCredentials", GRPC, true);
  const ClientOptions = f.import("ClientOptions", GRPC, true);
  const Channel = f.import("Channel", GRPC, true);
  const MessageInitShape = f.import("MessageInitShape", PROTOBUF, true);
  const desc = imports.schema(service, types);
  f.print(
    f.jsDoc(
      `A @grpc/grpc-js client of ${service.typeName}.\n\n` +
        "Unary methods return a Promise, server-streaming methods an AsyncIterable;\n" +
        "streaming requests are AsyncIterables. Failures reject with an `RpcError`\n" +
        "carrying the gRPC code, message, details and metadata.",
    ),
  );
  const head = {
    ts: [f.export("class", names.client), " implements ", names.api],
    js: [f.export("class", names.client)],
    dts: [f.export("declare class", names.client), " implements ", names.api],
  }[target];
  f.print(head, " {");
  if (target !== "js") {
    f.print("  /** The grpc-js transport; `transport.client` is the underlying `grpc.Client`. */");
    f.print("  readonly transport: ", GrpcClient, ";");
    f.print();
  }
  printCallable(
    f,
    target,
    "  ",
    "constructor",
    [
      { name: "address", type: "string" },
      { name: "credentials", type: ChannelCredentials },
      { name: "options", type: ClientOptions, optional: true },
    ],
    undefined,
    [["this.transport = new ", GrpcClient, "(address, credentials, options);"]],
  );
  f.print();
  f.print(
    "  /** A client over an existing channel, such as a balanced channel from the runtime's `createChannel`. */",
  );
  const cast = target === "ts" ? [" as { transport: ", GrpcClient, " }"] : [];
  printCallable(
    f,
    target,
    "  ",
    "static fromChannel",
    [
      { name: "channel", type: Channel },
      { name: "options", type: ClientOptions, optional: true },
    ],
    names.client,
    [
      ["const client = Object.create(", names.client, ".prototype)", cast, ";"],
      ["client.transport = ", GrpcClient, ".fromChannel(channel, options);"],
      ["return client", target === "ts" ? [" as ", names.client] : "", ";"],
    ],
  );
  for (const method of service.methods) {
    const input: Printable = [
      MessageInitShape,
      "<typeof ",
      imports.schema(method.input, true),
      ">",
    ];
    const kind = signature(method, input, imports.shape(method.output));
    f.print();
    f.print(f.jsDoc(method, "  "));
    printCallable(
      f,
      target,
      "  ",
      method.localName,
      [kind.param, { name: "options", type: CallOptions, optional: true }],
      kind.result,
      [
        [
          "return this.transport.",
          kind.transport,
          "(",
          desc,
          ".method.",
          method.localName,
          ", ",
          kind.param.name,
          ", options);",
        ],
      ],
    );
  }
  f.print();
  f.print("  /** Closes the client's channel. */");
  printCallable(f, target, "  ", "close", [], "void", ["this.transport.close();"]);
  f.print("}");
  f.print();
}

/** The parts of a method's signature that depend on its kind: streams in, streams out. */
function signature(
  method: DescMethod,
  input: Printable,
  output: Printable,
): { param: Param; result: Printable; transport: string } {
  const kind = method.methodKind;
  const streamsIn = kind === "client_streaming" || kind === "bidi_streaming";
  const streamsOut = kind === "server_streaming" || kind === "bidi_streaming";
  const transport = {
    unary: "unary",
    server_streaming: "serverStream",
    client_streaming: "clientStream",
    bidi_streaming: "bidiStream",
  }[kind];
  return {
    param: streamsIn
      ? { name: "requests", type: ["AsyncIterable<", input, ">"] }
      : { name: "request", type: input },
    result: streamsOut ? ["AsyncIterable<", output, ">"] : ["Promise<", output, ">"],
    transport,
  };
}

function printDefinition(
  f: GeneratedFile,
  imports: SchemaImports,
  target: Target,
  service: DescService,
  names: ServiceNames,
): void {
  const types = target === "dts";
  const ServiceDefinition = f.import("ServiceDefinition", GRPC, true);
  const Server = f.import("Server", GRPC, true);
  const createServiceDefinition = f.import("createServiceDefinition", RUNTIME, types);
  const grpcHandlers = f.import("grpcHandlers", RUNTIME, types);
  const desc = imports.schema(service, types);
  f.print(
    f.jsDoc(`The grpc-js service definition of ${service.typeName}, for \`server.addService\`.`),
  );
  printConst(f, target, names.definition, ServiceDefinition, [
    createServiceDefinition,
    "(",
    desc,
    ")",
  ]);
  f.print();
  f.print(f.jsDoc(`Serves an implementation of ${service.typeName} on a grpc-js server.`));
  printCallable(
    f,
    target,
    "",
    target === "dts" ? f.export("declare function", names.add) : f.export("function", names.add),
    [
      { name: "server", type: Server },
      { name: "implementation", type: names.api },
    ],
    "void",
    [
      [
        "server.addService(",
        names.definition,
        ", ",
        grpcHandlers,
        "(",
        desc,
        ", implementation));",
      ],
    ],
  );
  f.print();
}

function printRoutes(
  f: GeneratedFile,
  imports: SchemaImports,
  target: Target,
  service: DescService,
  names: ServiceNames,
  routes: readonly RouteInfo[],
): void {
  const ServiceRoutes = f.import("ServiceRoutes", RUNTIME, true);
  const desc = imports.schema(service, target === "dts");
  const type: Printable = [ServiceRoutes, "<typeof ", desc, ">"];
  f.print(f.jsDoc(`The HTTP routes of ${service.typeName}, from its google.api.http rules.`));
  if (target === "dts") {
    printConst(f, target, names.routes, type, []);
    f.print();
    return;
  }
  const route = f.import("route", RUNTIME);
  const lines: Printable[] = ["{\n", "  service: ", desc, ",\n", "  routes: [\n"];
  for (const r of routes) {
    const bodies: string[] = [];
    if (r.body !== "") bodies.push(`body: ${JSON.stringify(r.body)}`);
    if (r.responseBody !== "") bodies.push(`responseBody: ${JSON.stringify(r.responseBody)}`);
    if (r.pathParamSeparator !== undefined) {
      bodies.push(`pathParamSeparator: ${JSON.stringify(r.pathParamSeparator)}`);
    }
    lines.push(
      "    ",
      route,
      "(",
      f.string(r.method.localName),
      ", ",
      f.string(r.httpMethod),
      ", ",
      f.string(r.path),
      bodies.length === 0 ? "" : `, { ${bodies.join(", ")} }`,
      "),\n",
    );
  }
  lines.push("  ],\n", "}");
  printConst(f, target, names.routes, type, lines);
  f.print();
}

function printRouter(f: GeneratedFile, target: Target, names: ServiceNames): void {
  const types = target === "dts";
  const Mux = f.import("Mux", RUNTIME, types);
  const MuxOptions = f.import("MuxOptions", RUNTIME, true);
  const RegisterOptions = f.import("RegisterOptions", RUNTIME, true);
  const expressRouter = f.import("expressRouter", RUNTIME_EXPRESS, types);
  // Express's Router, or `any` where @types/express is not installed.
  const Router = f.import("ExpressRouter", RUNTIME_EXPRESS, true);
  const exportFunction = (name: string) =>
    f.export(target === "dts" ? "declare function" : "function", name);
  f.print(
    f.jsDoc(
      `Registers the HTTP routes on a mux that may serve many services. \`backend\` is a\n` +
        `{@link ${names.client}} (a gateway in front of a remote server) or a local\n` +
        "implementation (in-process: no gRPC hop).",
    ),
  );
  printCallable(
    f,
    target,
    "",
    exportFunction(names.register),
    [
      { name: "mux", type: Mux },
      { name: "backend", type: names.api },
      { name: "options", type: RegisterOptions, optional: true },
    ],
    "void",
    [["mux.register(", names.routes, ", backend, options);"]],
  );
  f.print();
  f.print(
    f.jsDoc(
      `An Express router serving the REST/JSON API by calling \`backend\`: a\n` +
        `{@link ${names.client}} or a local implementation. Requests no route matches go to \`next()\`.`,
    ),
  );
  printCallable(
    f,
    target,
    "",
    exportFunction(names.createRouter),
    [
      { name: "backend", type: names.api },
      { name: "options", type: MuxOptions, optional: true },
    ],
    Router,
    [
      ["const mux = new ", Mux, "(options);"],
      [names.register, "(mux, backend);"],
      ["return ", expressRouter, "(mux);"],
    ],
  );
}

/** The service's leading proto comment, as a paragraph, or nothing. */
function commentText(service: DescService): string {
  const leading = getComments(service).leading?.trim();
  return leading === undefined || leading === "" ? "" : `${leading}\n\n`;
}
