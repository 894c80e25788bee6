// The README and docs/ stay true: every relative link resolves (file and
// heading), every YAML and JSON block parses, every block that is a gateway
// config passes `ts-gateway`'s schema, every shell block runs only commands
// this repository documents, and the README stays a front page.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../../packages/gateway/src/config/load-config.js";
import { blocks, pages, root, text } from "./markdown.js";

/** Text outside fenced code blocks. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "");
}

/** GitHub's heading anchors. */
function anchors(markdown: string): Set<string> {
  const slugs = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (m[1] ?? "")
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replace(/ /g, "-");
    slugs.add(slug);
  }
  return slugs;
}

describe("docs: links", () => {
  for (const page of pages) {
    it(`${page}: every relative link resolves`, () => {
      const problems: string[] = [];
      for (const m of prose(text(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1] ?? "";
        if (/^[a-z]+:/i.test(link)) continue;
        const [path = "", anchor] = link.split("#");
        const target = path === "" ? join(root, page) : resolve(dirname(join(root, page)), path);
        if (!existsSync(target)) {
          problems.push(`${link}: no such file`);
          continue;
        }
        if (anchor !== undefined && target.endsWith(".md")) {
          if (!anchors(readFileSync(target, "utf8")).has(anchor)) {
            problems.push(`${link}: no such heading`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });
  }
});

/** Commands a shell block of the docs may run. */
const commands = new Set([
  "npm",
  "npx",
  "node",
  "curl",
  "buf",
  "ts-gateway",
  "docker",
  "kubectl",
  "grpcurl",
  "protoc",
  "git",
  "cd",
  "mkdir",
  "cp",
  "export",
  "openssl",
  "kill",
  "wrk",
  "websocat",
  "nginx",
  "haproxy",
  "etcd",
  "etcdctl",
  "go",
  "python3",
  "cat",
  "ls",
  "printf",
]);

describe("docs: code blocks", () => {
  for (const page of pages) {
    it(`${page}: YAML and JSON parse, gateway configs validate, shell blocks run known commands`, () => {
      const problems: string[] = [];
      for (const block of blocks(text(page))) {
        const at = `${page}:${block.line}`;
        if (block.lang === "yaml" || block.lang === "yml") {
          for (const doc of parseAllDocuments(block.code)) {
            if (doc.errors.length > 0) problems.push(`${at}: ${doc.errors[0]?.message}`);
            const value = doc.toJS() as Record<string, unknown> | null;
            if (
              value !== null &&
              typeof value === "object" &&
              "server" in value &&
              "services" in value
            ) {
              try {
                parseConfig(block.code, join(root, "gateway.yaml"), {});
              } catch (err) {
                problems.push(`${at}: not a valid gateway config: ${(err as Error).message}`);
              }
            }
          }
        } else if (block.lang === "json") {
          try {
            JSON.parse(block.code);
          } catch (err) {
            problems.push(`${at}: ${(err as Error).message}`);
          }
        } else if (block.lang === "sh" || block.lang === "bash" || block.lang === "shell") {
          let continued = false;
          for (const raw of block.code.split("\n")) {
            const line = raw.trim();
            const isContinuation = continued;
            continued = line.endsWith("\\");
            if (line === "" || line.startsWith("#") || isContinuation) continue;
            const command = line.replace(/^(\w+=\S*\s+)+/, "").split(/\s+/)[0] ?? "";
            if (!commands.has(command)) problems.push(`${at}: unknown command ${command}`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });
  }
});

describe("README: a front page", () => {
  const readme = text("README.md");
  it("is under 300 lines", () => {
    assert.ok(readme.split("\n").length < 300, `${readme.split("\n").length} lines`);
  });
  it("starts with the Quick start after the introduction", () => {
    const first = prose(readme).match(/^## (.+)$/m)?.[1];
    assert.equal(first, "Quick start");
  });
  it("links every page of docs/", () => {
    for (const page of pages.filter((p) => p.startsWith("docs/"))) {
      assert.ok(readme.includes(`](${page})`), `README links ${page}`);
    }
  });
});
