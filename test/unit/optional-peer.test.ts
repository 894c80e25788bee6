import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import {
  importOptionalPeer,
  requireOptionalPeer,
} from "../../packages/runtime/src/util/optional-peer.js";

const require = createRequire(import.meta.url);

// A specifier in a variable: TypeScript does not resolve it, Node does at run time.
const missing = "ts-gateway-no-such-package";
const present = "cockatiel";

const cases: Array<{
  name: string;
  load: () => Promise<unknown>;
  expect: "loads" | RegExp;
}> = [
  { name: "an installed peer loads", load: () => import(present), expect: "loads" },
  {
    name: "a missing peer names the package and the install command",
    load: () => import(missing),
    expect:
      /^the feature needs "ts-gateway-no-such-package", an optional peer dependency of @ts-gateway\/runtime that is not installed: npm install ts-gateway-no-such-package$/,
  },
  {
    name: "another failure is rethrown as it is",
    load: () => Promise.reject(new Error("boom in the module body")),
    expect: /^boom in the module body$/,
  },
  {
    name: "a missing dependency of the peer is not reported as the peer missing",
    load: () => import(`${missing}-dependency`),
    expect: /Cannot find package 'ts-gateway-no-such-package-dependency'/,
  },
];

for (const { name, load, expect } of cases) {
  test(name, async () => {
    const loading = importOptionalPeer(missing, "the feature", load);
    if (expect === "loads") assert.equal(typeof (await loading), "object");
    else await assert.rejects(loading, (err: Error) => expect.test(err.message));
  });
}

const requireCases: Array<{ name: string; load: () => unknown; expect: "loads" | RegExp }> = [
  { name: "an installed peer loads", load: () => require(present), expect: "loads" },
  {
    name: "a missing peer names the package and the install command",
    load: () => require(missing),
    expect:
      /^the feature needs "ts-gateway-no-such-package", an optional peer dependency of @ts-gateway\/runtime that is not installed: npm install ts-gateway-no-such-package$/,
  },
  {
    name: "a missing dependency of the peer is not reported as the peer missing",
    load: () => require(`${missing}-dependency`),
    expect: /Cannot find module 'ts-gateway-no-such-package-dependency'/,
  },
];

for (const { name, load, expect } of requireCases) {
  test(`synchronously: ${name}`, () => {
    const loading = () => requireOptionalPeer(missing, "the feature", load);
    if (expect === "loads") assert.equal(typeof loading(), "object");
    else assert.throws(loading, (err: Error) => expect.test(err.message));
  });
}
