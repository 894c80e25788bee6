// docs/validation.md's config and code are what the code takes: its
// gateway.yaml `mux:` blocks pass the config schema, its Mux options are the
// ones MuxOptions has, and its example answer has the shape the gateway writes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { gatewayConfigSchema } from "../../packages/gateway/src/index.js";
import { repoRoot } from "../support/generate-inline.js";

const page = readFileSync(join(repoRoot, "docs/validation.md"), "utf8");
const blocks = (lang: string) =>
  [...page.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1] ?? "");

describe("docs/validation.md", { timeout: 30_000 }, () => {
  it("its gateway.yaml mux blocks pass the config schema", () => {
    const yamls = blocks("yaml").filter((b) => b.startsWith("mux:"));
    assert.ok(yamls.length > 0);
    for (const text of yamls) {
      const mux = gatewayConfigSchema.shape.mux.safeParse(parseYaml(text).mux);
      assert.ok(mux.success, `${text}\n${mux.error?.message}`);
    }
    const inline = page.match(/`mux: \{ validate: true \}`/);
    assert.ok(inline);
    assert.ok(gatewayConfigSchema.shape.mux.safeParse({ validate: true }).success);
  });

  it("its buf.yaml names the BSR module", () => {
    assert.ok(blocks("yaml").some((b) => b.includes("- buf.build/bufbuild/protovalidate")));
  });

  it("its example answer is the BadRequest shape the gateway writes", () => {
    const json = JSON.parse(blocks("json")[0] ?? "") as {
      code: number;
      details: Array<{ "@type": string; fieldViolations: Array<Record<string, string>> }>;
    };
    assert.equal(json.code, 3);
    const detail = json.details[0];
    assert.equal(detail?.["@type"], "type.googleapis.com/google.rpc.BadRequest");
    for (const v of detail?.fieldViolations ?? []) {
      assert.deepEqual(Object.keys(v), ["field", "description", "reason"]);
    }
  });

  it("its offline command is the one npm run generate runs", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      scripts: { generate: string };
    };
    const command = blocks("sh")
      .find((b) => b.includes("protovalidate-proto.ts"))
      ?.trim();
    assert.ok(command !== undefined && pkg.scripts.generate.startsWith(command));
  });
});
