import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { type GeneratedFile, getComments, type Printable } from "@bufbuild/protoplugin";
import type { RouteInfo } from "./http-rules.js";

const RUNTIME = "@ts-gateway/runtime";
const RUNTIME_EXPRESS = "@ts-gateway/runtime/express";
const GRPC = "@grpc/grpc-js";
const PROTOBUF = "@bufbuild/protobuf";

/** Prints everything generated for one service: API interface, client, grpc-js definition, routes, router. */
export function generateService(
  f: GeneratedFile,
  service: DescService,
  routes: readonly RouteInfo[],
): void {
  const names = serviceNames(service);
  printApi(f, service, names);
  printClient(f, service, names);
  printDefinition(f, service, names);
  printRoutes(f, service, names, routes);
  printRouter(f, names);
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

function printApi(f: GeneratedFile, service: DescService, names: ServiceNames): void {
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
      f.importSchema(method.output, true),
      ">",
    ];
    const { param, result } = signature(method, f.importShape(method.input), output);
    f.print(f.jsDoc(method, "  "));
    f.print("  ", method.localName, "(", param, ", context: ", CallContext, "): ", result, ";");
  }
  f.print("}");
  f.print();
}

function printClient(f: GeneratedFile, service: DescService, names: ServiceNames): void {
  const GrpcClient = f.import("GrpcClient", RUNTIME);
  const CallOptions = f.import("CallOptions", RUNTIME, true);
  const ChannelCredentials = f.import("ChannelCredentials", GRPC, true);
  const ClientOptions = f.import("ClientOptions", GRPC, true);
  const Channel = f.import("Channel", GRPC, true);
  const MessageInitShape = f.import("MessageInitShape", PROTOBUF, true);
  const desc = f.importSchema(service);
  f.print(
    f.jsDoc(
      `A @grpc/grpc-js client of ${service.typeName}.\n\n` +
        "Unary methods return a Promise, server-streaming methods an AsyncIterable;\n" +
        "streaming requests are AsyncIterables. Failures reject with an `RpcError`\n" +
        "carrying the gRPC code, message, details and metadata.",
    ),
  );
  f.print(f.export("class", names.client), " implements ", names.api, " {");
  f.print("  /** The grpc-js transport; `transport.client` is the underlying `grpc.Client`. */");
  f.print("  readonly transport: ", GrpcClient, ";");
  f.print();
  f.print(
    "  constructor(address: string, credentials: ",
    ChannelCredentials,
    ", options?: ",
    ClientOptions,
    ") {",
  );
  f.print("    this.transport = new ", GrpcClient, "(address, credentials, options);");
  f.print("  }");
  f.print();
  f.print(
    "  /** A client over an existing channel, such as a balanced channel from the runtime's `createChannel`. */",
  );
  f.print(
    "  static fromChannel(channel: ",
    Channel,
    ", options?: ",
    ClientOptions,
    "): ",
    names.client,
    " {",
  );
  f.print(
    "    const client = Object.create(",
    names.client,
    ".prototype) as { transport: ",
    GrpcClient,
    " };",
  );
  f.print("    client.transport = ", GrpcClient, ".fromChannel(channel, options);");
  f.print("    return client as ", names.client, ";");
  f.print("  }");
  for (const method of service.methods) {
    const input: Printable = [
      MessageInitShape,
      "<typeof ",
      f.importSchema(method.input, true),
      ">",
    ];
    const { param, arg, result, transport } = signature(
      method,
      input,
      f.importShape(method.output),
    );
    f.print();
    f.print(f.jsDoc(method, "  "));
    f.print("  ", method.localName, "(", param, ", options?: ", CallOptions, "): ", result, " {");
    f.print(
      "    return this.transport.",
      transport,
      "(",
      desc,
      ".method.",
      method.localName,
      ", ",
      arg,
      ", options);",
    );
    f.print("  }");
  }
  f.print();
  f.print("  /** Closes the client's channel. */");
  f.print("  close(): void {");
  f.print("    this.transport.close();");
  f.print("  }");
  f.print("}");
  f.print();
}

/** The parts of a method's signature that depend on its kind: streams in, streams out. */
function signature(
  method: DescMethod,
  input: Printable,
  output: Printable,
): { param: Printable; arg: string; result: Printable; transport: string } {
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
    param: streamsIn ? ["requests: AsyncIterable<", input, ">"] : ["request: ", input],
    arg: streamsIn ? "requests" : "request",
    result: streamsOut ? ["AsyncIterable<", output, ">"] : ["Promise<", output, ">"],
    transport,
  };
}

function printDefinition(f: GeneratedFile, service: DescService, names: ServiceNames): void {
  const ServiceDefinition = f.import("ServiceDefinition", GRPC, true);
  const Server = f.import("Server", GRPC, true);
  const createServiceDefinition = f.import("createServiceDefinition", RUNTIME);
  const grpcHandlers = f.import("grpcHandlers", RUNTIME);
  const desc = f.importSchema(service);
  f.print(
    f.jsDoc(`The grpc-js service definition of ${service.typeName}, for \`server.addService\`.`),
  );
  f.print(
    f.export("const", names.definition),
    ": ",
    ServiceDefinition,
    " = ",
    createServiceDefinition,
    "(",
    desc,
    ");",
  );
  f.print();
  f.print(f.jsDoc(`Serves an implementation of ${service.typeName} on a grpc-js server.`));
  f.print(
    f.export("function", names.add),
    "(server: ",
    Server,
    ", implementation: ",
    names.api,
    "): void {",
  );
  f.print(
    "  server.addService(",
    names.definition,
    ", ",
    grpcHandlers,
    "(",
    desc,
    ", implementation));",
  );
  f.print("}");
  f.print();
}

function printRoutes(
  f: GeneratedFile,
  service: DescService,
  names: ServiceNames,
  routes: readonly RouteInfo[],
): void {
  const ServiceRoutes = f.import("ServiceRoutes", RUNTIME, true);
  const route = f.import("route", RUNTIME);
  const desc = f.importSchema(service);
  f.print(f.jsDoc(`The HTTP routes of ${service.typeName}, from its google.api.http rules.`));
  f.print(f.export("const", names.routes), ": ", ServiceRoutes, "<typeof ", desc, "> = {");
  f.print("  service: ", desc, ",");
  f.print("  routes: [");
  for (const r of routes) {
    const bodies: string[] = [];
    if (r.body !== "") bodies.push(`body: ${JSON.stringify(r.body)}`);
    if (r.responseBody !== "") bodies.push(`responseBody: ${JSON.stringify(r.responseBody)}`);
    f.print(
      "    ",
      route,
      "(",
      f.string(r.method.localName),
      ", ",
      f.string(r.httpMethod),
      ", ",
      f.string(r.path),
      bodies.length === 0 ? "" : `, { ${bodies.join(", ")} }`,
      "),",
    );
  }
  f.print("  ],");
  f.print("};");
  f.print();
}

function printRouter(f: GeneratedFile, names: ServiceNames): void {
  const Mux = f.import("Mux", RUNTIME);
  const MuxOptions = f.import("MuxOptions", RUNTIME, true);
  const RegisterOptions = f.import("RegisterOptions", RUNTIME, true);
  const expressRouter = f.import("expressRouter", RUNTIME_EXPRESS);
  const Router = f.import("Router", "express", true);
  f.print(
    f.jsDoc(
      `Registers the HTTP routes on a mux that may serve many services. \`backend\` is a\n` +
        `{@link ${names.client}} (a gateway in front of a remote server) or a local\n` +
        "implementation (in-process: no gRPC hop).",
    ),
  );
  f.print(
    f.export("function", names.register),
    "(mux: ",
    Mux,
    ", backend: ",
    names.api,
    ", options?: ",
    RegisterOptions,
    "): void {",
  );
  f.print("  mux.register(", names.routes, ", backend, options);");
  f.print("}");
  f.print();
  f.print(
    f.jsDoc(
      `An Express router serving the REST/JSON API by calling \`backend\`: a\n` +
        `{@link ${names.client}} or a local implementation. Requests no route matches go to \`next()\`.`,
    ),
  );
  f.print(
    f.export("function", names.createRouter),
    "(backend: ",
    names.api,
    ", options?: ",
    MuxOptions,
    "): ",
    Router,
    " {",
  );
  f.print("  const mux = new ", Mux, "(options);");
  f.print("  ", names.register, "(mux, backend);");
  f.print("  return ", expressRouter, "(mux);");
  f.print("}");
}

/** The service's leading proto comment, as a paragraph, or nothing. */
function commentText(service: DescService): string {
  const leading = getComments(service).leading?.trim();
  return leading === undefined || leading === "" ? "" : `${leading}\n\n`;
}
