// Proto3 JSON mapping and its options, mux-wide and per router. The backend
// echoes its request, so one exchange shows how the body was read and how the
// response is written.

import { after, before, describe, test } from "node:test";
import type { JsonValue } from "@bufbuild/protobuf";
import type { MuxOptions, RegisterOptions } from "@ts-gateway/runtime";
import {
  addJsonEcho,
  JsonEchoClient,
  registerJsonEcho,
} from "../gen/conformance/v1/json_gateway.js";
import { JsonEcho } from "../gen/conformance/v1/json_pb.js";
import { check, type Gateway, type Row, startGateway } from "./gateway-fixture.js";

const input = { displayName: "A", page_count: 0, color: "COLOR_RED", big: "9007199254740993" };
const received = { displayName: "A", color: "COLOR_RED", big: "9007199254740993" };
const echo = (
  name: string,
  response: unknown,
  json: unknown = input,
  request: JsonValue = received,
): Row => ({
  name,
  method: "POST",
  path: "/v1/echo",
  json,
  rpc: "echo",
  request,
  status: 200,
  response,
});

interface Config {
  name: string;
  mux?: MuxOptions;
  register?: RegisterOptions;
  rows: Row[];
}

const configs: Config[] = [
  {
    name: "defaults",
    rows: [
      echo("JSON names out, unpopulated fields omitted, enums by name, int64 as string", received),
      echo(
        "proto and JSON names accepted in",
        { displayName: "B", pageCount: 2 },
        { display_name: "B", pageCount: 2 },
        { displayName: "B", pageCount: 2 },
      ),
      {
        name: "unknown fields are ignored",
        method: "POST",
        path: "/v1/echo",
        json: { displayName: "A", nope: 1 },
        rpc: "echo",
        request: { displayName: "A" },
        status: 200,
        response: { displayName: "A" },
      },
      {
        name: "a value of the wrong type: 400 naming the field",
        method: "POST",
        path: "/v1/echo",
        json: { pageCount: "many" },
        status: 400,
        error: "page_count",
      },
      echo(
        "an enum name that does not exist is dropped like an unknown field (protojson DiscardUnknown)",
        { displayName: "A" },
        { displayName: "A", color: "PURPLE" },
        { displayName: "A" },
      ),
      {
        name: "an exact response text",
        method: "GET",
        path: "/v1/echo?display_name=q&tags=a&tags=b",
        rpc: "echoQuery",
        request: { displayName: "q", tags: ["a", "b"] },
        status: 200,
        responseText: '{"displayName":"q","tags":["a","b"]}',
        responseHeaders: { "content-type": "application/json" },
      },
    ],
  },
  {
    name: "emitDefaultValues (mux)",
    mux: { emitDefaultValues: true },
    rows: [
      echo("unpopulated fields are written", {
        displayName: "A",
        pageCount: 0,
        color: "COLOR_RED",
        big: "9007199254740993",
        tags: [],
      }),
    ],
  },
  {
    name: "useProtoFieldName (mux)",
    mux: { useProtoFieldName: true },
    rows: [
      echo("proto names out", { display_name: "A", color: "COLOR_RED", big: "9007199254740993" }),
    ],
  },
  {
    name: "enumAsInteger (mux)",
    mux: { enumAsInteger: true },
    rows: [echo("enums as numbers", { displayName: "A", color: 1, big: "9007199254740993" })],
  },
  {
    name: "rejectUnknownFields (mux)",
    mux: { rejectUnknownFields: true },
    rows: [
      {
        name: "an unknown field: 400 naming it",
        method: "POST",
        path: "/v1/echo",
        json: { displayName: "A", nope: 1 },
        status: 400,
        error: "nope",
      },
      {
        name: "an enum name that does not exist: 400",
        method: "POST",
        path: "/v1/echo",
        json: { color: "PURPLE" },
        status: 400,
        error: 'enum conformance.v1.Color from JSON: "PURPLE"',
      },
      echo("known fields still work", received),
    ],
  },
  {
    name: "per router options merge over the mux's",
    mux: { enumAsInteger: true, rejectUnknownFields: true },
    register: { useProtoFieldName: true, rejectUnknownFields: false },
    rows: [
      echo("router's useProtoFieldName and the mux's enumAsInteger", {
        display_name: "A",
        color: 1,
        big: "9007199254740993",
      }),
      {
        name: "the router's rejectUnknownFields: false wins",
        method: "POST",
        path: "/v1/echo",
        json: { displayName: "A", nope: 1 },
        rpc: "echo",
        request: { displayName: "A" },
        status: 200,
        response: { display_name: "A" },
      },
    ],
  },
];

for (const config of configs) {
  describe(`JSON options: ${config.name}`, () => {
    let gateway: Gateway;
    before(async () => {
      const options: { mux?: MuxOptions; register?: RegisterOptions } = {};
      if (config.mux !== undefined) options.mux = config.mux;
      if (config.register !== undefined) options.register = config.register;
      gateway = await startGateway(
        [
          {
            service: JsonEcho,
            add: addJsonEcho,
            Client: JsonEchoClient,
            register: registerJsonEcho,
          },
        ],
        options,
      );
      gateway.responders.set("echo", (_, req) => req);
      gateway.responders.set("echoQuery", (_, req) => req);
    });
    after(() => gateway.close());
    for (const row of config.rows) test(row.name, () => check(gateway, row));
  });
}
