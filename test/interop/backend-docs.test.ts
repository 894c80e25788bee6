// docs/python-backend.md and docs/go-backend.md, checked as written: their
// gateway.yaml validates, their protoc lines (python -m grpc_tools.protoc and
// Debian's protoc) make a descriptor set `ts-gateway check` serves the interop
// service from, and their relative links resolve.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { parseConfig } from "../../packages/gateway/src/index.js";
import { makeWorkdir, repoRoot, runGateway } from "../gateway/support/processes.js";
import { python } from "./support/backends.js";

const pages = ["docs/python-backend.md", "docs/go-backend.md"];

const blocks = (text: string, lang: string) =>
  [...text.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1]!);

for (const page of pages) {
  const text = readFileSync(join(repoRoot, page), "utf8");
  describe(page, () => {
    it("its relative links resolve", () => {
      for (const [, target] of text.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        assert.ok(existsSync(join(repoRoot, dirname(page), target!)), target);
      }
    });

    it("its protoc line makes a descriptor set ts-gateway checks", () => {
      const line = blocks(text, "sh")
        .map((b) => b.replace(/\\\n\s*/g, ""))
        .flatMap((b) => b.split("\n"))
        .find((l) => /protoc .*--descriptor_set_out=api\.binpb/.test(l));
      assert.ok(line, "a protoc line");
      const work = makeWorkdir();
      const args = line
        .trim()
        .split(/\s+/)
        .map((a) =>
          a === "proto"
            ? join(repoRoot, "test/proto")
            : a === "googleapis"
              ? join(repoRoot, "node_modules/google-proto-files")
              : a === "proto/interop/v1/interop.proto"
                ? join(repoRoot, "test/proto/interop/v1/interop.proto")
                : a.replace("=api.binpb", `=${join(work.dir, "api.binpb")}`),
        );
      const [command, ...rest] = args[0] === "python3" ? [python, ...args.slice(1)] : args;
      execFileSync(command!, rest, { cwd: repoRoot, stdio: "pipe" });
      const config = blocks(readFileSync(join(repoRoot, pages[0]!), "utf8"), "yaml").find((b) =>
        b.startsWith("server:"),
      );
      assert.ok(config);
      const file = work.write("gateway.yaml", config);
      const { status, stdout, stderr } = runGateway(["check", file]);
      assert.equal(status, 0, stderr);
      assert.match(stdout, /GET\s+\/v1\/echo\/\{text\}\s+interop\.v1\.InteropService\s+Echo/);
    });
  });
}

describe("the gateway.yaml of the Python page", () => {
  it("validates", () => {
    const text = readFileSync(join(repoRoot, pages[0]!), "utf8");
    const config = blocks(text, "yaml").find((b) => b.startsWith("server:"));
    assert.ok(config);
    const loaded = parseConfig(config, "gateway.yaml", {});
    assert.equal(loaded.config.backends.interop?.health, "connectivity");
    assert.equal(loaded.config.docs, true);
  });
});
