/**
 * Listeners: `h2` (TLS, HTTP/2 and HTTP/1.1 by ALPN on one port) with its
 * certificate replaced on disk and picked up without a restart (existing
 * HTTP/2 sessions keep working, new handshakes get the new certificate), and
 * `h2c` (cleartext HTTP/2 by prior knowledge and HTTP/1.1 on one port).
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { get as httpGet } from "node:http";
import * as http2 from "node:http2";
import { get as httpsGet } from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { makeTestPki, type TestPki } from "../support/tls.js";
import { freePort, sleep } from "../support/wait.js";
import {
  buildDescriptorSet,
  makeWorkdir,
  startGateway,
  startPlainBackend,
  stopAll,
} from "./support/processes.js";

after(stopAll);

function h2Get(
  session: http2.ClientHttp2Session,
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": path });
    let status = 0;
    let body = "";
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
    });
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      body += chunk;
    });
    stream.on("end", () => resolve({ status, body }));
    stream.on("error", reject);
    stream.end();
  });
}

function h1Get(
  get: typeof httpGet,
  url: string,
  options: object = {},
): Promise<{ status: number; body: string; alpn: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ...options, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          alpn: (res.socket as { alpnProtocol?: string }).alpnProtocol,
        }),
      );
    });
    req.on("error", reject);
  });
}

/** The certificate a new TLS handshake on `port` presents. */
function servedCertificate(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, ca, ALPNProtocols: ["h2"] }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.destroy();
      resolve(new X509Certificate(raw).fingerprint256);
    });
    socket.on("error", reject);
  });
}

describe("TLS and HTTP/2 listeners", () => {
  const work = makeWorkdir();
  let first: TestPki;
  let tlsPort = 0;
  let h2cPort = 0;

  before(async () => {
    buildDescriptorSet(join(work.dir, "api.binpb"));
    first = makeTestPki();
    work.write("cert.pem", first.serverCert.toString());
    work.write("key.pem", first.serverKey.toString());
    const backend = await startPlainBackend("b1");
    tlsPort = await freePort();
    h2cPort = await freePort();
    await startGateway(
      work.write(
        "gateway.yaml",
        `server:
  listeners:
    - host: 127.0.0.1
      port: ${tlsPort}
      protocol: h2
      tls: { cert: cert.pem, key: key.pem, reloadIntervalMs: 200 }
    - { host: 127.0.0.1, port: ${h2cPort}, protocol: h2c }
backends:
  inventory: { target: ["127.0.0.1:${backend.port}"] }
services:
  - { descriptorSet: api.binpb, backend: inventory }
`,
      ),
    );
  });

  it("h2 with TLS serves HTTP/2 and, by ALPN, HTTP/1.1 on the same port", async () => {
    const session = http2.connect(`https://127.0.0.1:${tlsPort}`, { ca: first.ca });
    session.on("error", () => {});
    try {
      const res = await h2Get(session, "/v1/items/7");
      assert.equal(res.status, 200);
      assert.equal((JSON.parse(res.body) as { id: string }).id, "7");
      const missing = await h2Get(session, "/v1/items/missing");
      assert.equal(missing.status, 404);
      assert.equal((JSON.parse(missing.body) as { code: number }).code, 5);
    } finally {
      session.close();
    }
    const h1 = await h1Get(httpsGet as typeof httpGet, `https://127.0.0.1:${tlsPort}/v1/items/8`, {
      ca: first.ca,
      ALPNProtocols: ["http/1.1"],
    });
    assert.equal(h1.status, 200);
    assert.equal(h1.alpn, "http/1.1");
  });

  it("a certificate replaced on disk is served to new handshakes; open sessions keep working", async () => {
    const session = http2.connect(`https://127.0.0.1:${tlsPort}`, { ca: first.ca });
    session.on("error", () => {});
    assert.equal((await h2Get(session, "/v1/items/1")).status, 200);
    const before = await servedCertificate(tlsPort, first.ca);
    assert.equal(before, new X509Certificate(first.serverCert).fingerprint256);

    const second = makeTestPki();
    work.write("key.pem", second.serverKey.toString());
    work.write("cert.pem", second.serverCert.toString());
    let now = before;
    for (let i = 0; i < 100 && now === before; i++) {
      await sleep(100);
      now = await servedCertificate(tlsPort, second.ca).catch(() => before);
    }
    assert.equal(now, new X509Certificate(second.serverCert).fingerprint256);
    // The session opened under the old certificate was not dropped.
    assert.equal((await h2Get(session, "/v1/items/2")).status, 200);
    session.close();
  });

  it("h2c serves cleartext HTTP/2 (prior knowledge) and HTTP/1.1 on one port", async () => {
    const session = http2.connect(`http://127.0.0.1:${h2cPort}`);
    session.on("error", () => {});
    try {
      const res = await h2Get(session, "/v1/items/9");
      assert.equal(res.status, 200);
      assert.equal((JSON.parse(res.body) as { id: string }).id, "9");
      const stream = await h2Get(session, "/v1/items:watch?count=2&interval_ms=1");
      assert.equal(stream.body.trim().split("\n").length, 2);
    } finally {
      session.close();
    }
    const h1 = await h1Get(httpGet, `http://127.0.0.1:${h2cPort}/v1/items/10`);
    assert.equal(h1.status, 200);
    assert.equal((JSON.parse(h1.body) as { id: string }).id, "10");
  });
});
