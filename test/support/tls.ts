import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A throwaway CA with a server certificate (localhost, 127.0.0.1) and a client certificate. */
export interface TestPki {
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
}

/** Generates a test PKI with the `openssl` CLI (EC P-256 keys, 1 day validity). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "ts-gateway-pki-"));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  try {
    const key = (name: string) =>
      openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path(name));
    key("ca.key");
    openssl(
      "req",
      "-x509",
      "-new",
      "-key",
      path("ca.key"),
      "-days",
      "1",
      "-subj",
      "/CN=test-ca",
      "-out",
      path("ca.pem"),
    );
    const issue = (name: string, cn: string, ext: string) => {
      key(`${name}.key`);
      openssl(
        "req",
        "-new",
        "-key",
        path(`${name}.key`),
        "-subj",
        `/CN=${cn}`,
        "-out",
        path(`${name}.csr`),
      );
      writeFileSync(path(`${name}.ext`), ext);
      openssl(
        "x509",
        "-req",
        "-in",
        path(`${name}.csr`),
        "-CA",
        path("ca.pem"),
        "-CAkey",
        path("ca.key"),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        path(`${name}.ext`),
        "-out",
        path(`${name}.pem`),
      );
    };
    issue(
      "server",
      "localhost",
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    );
    issue("client", "gateway", "extendedKeyUsage=clientAuth\n");
    return {
      ca: readFileSync(path("ca.pem")),
      serverCert: readFileSync(path("server.pem")),
      serverKey: readFileSync(path("server.key")),
      clientCert: readFileSync(path("client.pem")),
      clientKey: readFileSync(path("client.key")),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
