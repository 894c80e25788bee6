/**
 * `backends.<name>.tls` from the config: ts-gateway serve reaches a plain
 * grpc-js backend over TLS (CA from a file), and over mutual TLS with the
 * client certificate and key the config names; without the client
 * certificate the mTLS backend refuses the gateway, which answers 503
 * UNAVAILABLE in time instead of hanging. Certificates come from `openssl`.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeTestPki } from "../support/tls.js";
import { freePort } from "../support/wait.js";
import {
  buildDescriptorSet,
  makeWorkdir,
  startGateway,
  startPlainBackend,
  stopAll,
} from "./support/processes.js";

after(stopAll);

describe("backend TLS and mTLS from the config", () => {
  const work = makeWorkdir();
  const urls = new Map<string, string>();
  const cases: { name: string; backend: "tls" | "mtls"; tls: string; status: number }[] = [
    {
      name: "TLS: the backend's CA, the name checked against its certificate",
      backend: "tls",
      tls: "{ ca: pki/ca.pem, serverName: localhost }",
      status: 200,
    },
    {
      name: "mTLS: the gateway presents its client certificate",
      backend: "mtls",
      tls: "{ ca: pki/ca.pem, cert: pki/client.pem, key: pki/client.key }",
      status: 200,
    },
    {
      name: "mTLS without a client certificate: refused by the backend, 503 from the gateway",
      backend: "mtls",
      tls: "{ ca: pki/ca.pem }",
      status: 503,
    },
  ];

  before(async () => {
    buildDescriptorSet(join(work.dir, "api.binpb"));
    const pki = makeTestPki();
    mkdirSync(join(work.dir, "pki"));
    for (const [file, pem] of Object.entries({
      "ca.pem": pki.ca,
      "server.pem": pki.serverCert,
      "server.key": pki.serverKey,
      "client.pem": pki.clientCert,
      "client.key": pki.clientKey,
    })) {
      work.write(`pki/${file}`, pem.toString());
    }
    const tlsDir = join(work.dir, "pki");
    const [tls, mtls] = await Promise.all([
      startPlainBackend("tls", 0, "127.0.0.1", { TLS_DIR: tlsDir }),
      startPlainBackend("mtls", 0, "127.0.0.1", { TLS_DIR: tlsDir, TLS_REQUIRE_CLIENT_CERT: "1" }),
    ]);
    const backendPort = { tls: tls.port, mtls: mtls.port };
    await Promise.all(
      cases.map(async (c, i) => {
        const port = await freePort();
        const config = work.write(
          `gateway-${i}.yaml`,
          `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
backends:
  inventory:
    target: ["127.0.0.1:${backendPort[c.backend]}"]
    deadlineMs: 3000
    tls: ${c.tls}
services:
  - descriptorSet: api.binpb
    backend: inventory
`,
        );
        await startGateway(config);
        urls.set(c.name, `http://127.0.0.1:${port}`);
      }),
    );
  });

  for (const c of cases) {
    it(c.name, async () => {
      const res = await fetch(`${urls.get(c.name)}/v1/items/1`, {
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { servedBy?: string; code?: number };
      assert.equal(res.status, c.status, JSON.stringify(body));
      if (c.status === 200) assert.equal(body.servedBy, c.backend);
      else assert.equal(body.code, 14); // UNAVAILABLE
    });
  }
});
