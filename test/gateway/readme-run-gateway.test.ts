/**
 * The README's "Run the gateway" section, run as written: its gateway.yaml
 * (with the environment variables it documents), `ts-gateway check`, the error
 * it quotes for a misspelt backend, `ts-gateway serve`, and its curl lines
 * against the example's backend (a descriptor set `buf build` made from the
 * example's protos, as a team would from theirs).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gatewayConfigSchema } from "../../packages/gateway/src/index.js";
import { freePort } from "../support/wait.js";
import {
  bufBuild,
  makeWorkdir,
  repoRoot,
  runGateway,
  startGateway,
  startLibraryBackend,
  stopAll,
} from "./support/processes.js";

after(stopAll);

const readme = readFileSync(join(repoRoot, "docs/standalone.md"), "utf8");
const section = readme.slice(
  readme.indexOf("<!-- section:run-gateway -->"),
  readme.indexOf("<!-- /section:run-gateway -->"),
);
const blocks = (lang: string) =>
  [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) =>
    m[1]!.replace(/^ {3}/gm, ""),
  );

describe("README: Run the gateway", () => {
  const work = makeWorkdir();
  const yaml = blocks("yaml")[0]!;
  const commands = blocks("sh")
    .flatMap((b) => b.split("\n"))
    .filter((l) => l.trim() !== "");
  let env: NodeJS.ProcessEnv = {};
  let config = "";

  before(async () => {
    assert.ok(section.length > 0 && yaml !== undefined, "the section and its config");
    // `buf build -o api.binpb`, in a repository holding the example's protos.
    assert.ok(commands.includes("buf build -o api.binpb"));
    bufBuild("examples/library/proto/library/v1/library.proto", join(work.dir, "api.binpb"));
    config = work.write("gateway.yaml", yaml);
    const backend = await startLibraryBackend();
    env = { PORT: String(await freePort()), LIBRARY_BACKEND: `127.0.0.1:${backend.port}` };
  });

  it("ts-gateway check gateway.yaml prints the route table", () => {
    assert.ok(commands.some((c) => c.startsWith("ts-gateway check gateway.yaml")));
    const { status, stdout, stderr } = runGateway(["check", config], env);
    assert.equal(status, 0, stderr);
    assert.match(stdout, /^METHOD\s+TEMPLATE\s+SERVICE\s+RPC\s+BACKEND$/m);
    assert.match(
      stdout,
      /POST\s+\/v1\/shelves\s+library\.v1\.LibraryService\s+CreateShelf\s+library/,
    );
  });

  it("the config reference table names every section of the schema", () => {
    const table = section.slice(section.indexOf("| section | what |"));
    for (const key of Object.keys(gatewayConfigSchema.shape)) {
      assert.match(table, new RegExp(`^\\| [^|]*\`${key}(\\.<name>|\\[\\])?\``, "m"), key);
    }
  });

  it("a misspelt backend fails with the error the README quotes", () => {
    const quoted =
      /`(gateway\.yaml:\d+:\d+: services\[0\]\.backend: no\s+backend "librar" \(backends: library\))`/.exec(
        section,
      )?.[1];
    assert.ok(quoted, "the README quotes an error");
    work.write("gateway.yaml", yaml.replace(/backend: library$/m, "backend: librar"));
    try {
      const { status, stderr } = runGateway(["check", "gateway.yaml"], env, work.dir);
      assert.equal(status, 1);
      assert.ok(stderr.includes(quoted.replace(/\s+/g, " ")), stderr);
    } finally {
      work.write("gateway.yaml", yaml);
    }
  });

  it("ts-gateway serve gateway.yaml answers the README's curl lines", async () => {
    assert.ok(commands.some((c) => c.startsWith("ts-gateway serve gateway.yaml")));
    await startGateway(config, [], env);
    const curls = commands.filter((c) => c.startsWith("curl "));
    assert.ok(curls.length >= 2);
    for (const line of curls) {
      const url = /localhost:8080(\S*)/.exec(line)?.[1];
      const body = /--json '([^']*)'/.exec(line)?.[1];
      const res = await fetch(`http://127.0.0.1:${env.PORT}${url}`, {
        method: body === undefined ? "GET" : "POST",
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body }),
      });
      assert.ok(res.status >= 200 && res.status < 300, `${line}: ${res.status}`);
      assert.equal(typeof (await res.json()), "object");
    }
  });
});
