// The HttpRule documentation's own examples (google/api/http.proto), each
// asserting the exact request message the gRPC backend received.
import { after, before, describe, test } from "node:test";
import {
  addMessaging,
  MessagingClient,
  registerMessaging,
} from "../gen/conformance/v1/messaging_gateway.js";
import {
  addMessagingNames,
  MessagingNamesClient,
  registerMessagingNames,
} from "../gen/conformance/v1/messaging_names_gateway.js";
import { MessagingNames } from "../gen/conformance/v1/messaging_names_pb.js";
import { Messaging } from "../gen/conformance/v1/messaging_pb.js";
import { check, type Gateway, type Row, startGateway } from "./gateway-fixture.js";

const rows: Row[] = [
  {
    name: "path variable and query parameters, including a sub-message field",
    method: "GET",
    path: "/v1/messages/123456?revision=2&sub.subfield=foo",
    rpc: "getMessage",
    request: { messageId: "123456", revision: "2", sub: { subfield: "foo" } },
    status: 200,
    response: { messageId: "123456", text: "hello" },
  },
  {
    name: "additional_bindings: a second route to the same method",
    method: "GET",
    path: "/v1/users/me/messages/123456",
    rpc: "getMessage",
    request: { userId: "me", messageId: "123456" },
    status: 200,
    response: { messageId: "123456", text: "hello" },
  },
  {
    name: "sub-message field in the path",
    method: "GET",
    path: "/v1/messages/123456/foo",
    rpc: "getSubMessage",
    request: { messageId: "123456", sub: { subfield: "foo" } },
    status: 200,
    response: {},
  },
  {
    name: `body: "message"`,
    method: "PUT",
    path: "/v1/messages/123456",
    json: { text: "Hi!" },
    rpc: "updateMessage",
    request: { messageId: "123456", message: { text: "Hi!" } },
    status: 200,
    response: {},
  },
  {
    name: `body: "*"`,
    method: "PATCH",
    path: "/v1/messages/123456",
    json: { text: "Hi!" },
    rpc: "updateMessageFields",
    request: { messageId: "123456", text: "Hi!" },
    status: 200,
    response: {},
  },
  {
    name: `body: "*": the path variable wins over the same field in the body`,
    method: "PATCH",
    path: "/v1/messages/123456",
    json: { messageId: "other", text: "Hi!", revision: 3 },
    rpc: "updateMessageFields",
    request: { messageId: "123456", text: "Hi!", revision: 3 },
    status: 200,
  },
  {
    name: `body: "*": query parameters are not read`,
    method: "PATCH",
    path: "/v1/messages/123456?text=fromquery&revision=9",
    json: { text: "Hi!" },
    rpc: "updateMessageFields",
    request: { messageId: "123456", text: "Hi!" },
    status: 200,
  },
  {
    name: "path matched under another HTTP method: 405 with Allow",
    method: "DELETE",
    path: "/v1/messages/123456",
    status: 405,
    responseHeaders: { allow: "GET, PATCH, PUT" },
    error: "DELETE",
  },
  {
    name: "no route: 404",
    method: "GET",
    path: "/v1/nothing/here",
    status: 404,
  },
];

describe("HttpRule documentation examples", () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway([
      {
        service: Messaging,
        add: addMessaging,
        Client: MessagingClient,
        register: registerMessaging,
      },
    ]);
    gateway.responders.set("getMessage", (_, req) => ({ messageId: req.messageId, text: "hello" }));
  });
  after(() => gateway.close());
  for (const row of rows) test(row.name, () => check(gateway, row));
});

describe("HttpRule documentation examples: {name=messages/*}", () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway([
      {
        service: MessagingNames,
        add: addMessagingNames,
        Client: MessagingNamesClient,
        register: registerMessagingNames,
      },
    ]);
  });
  after(() => gateway.close());
  const named: Row[] = [
    {
      name: "resource name bound with a nested pattern",
      method: "GET",
      path: "/v1/messages/123456",
      rpc: "getMessageByName",
      request: { name: "messages/123456" },
      status: 200,
      response: {},
    },
    {
      name: "the nested pattern's literal must match",
      method: "GET",
      path: "/v1/users/123456",
      status: 404,
    },
  ];
  for (const row of named) test(row.name, () => check(gateway, row));
});
