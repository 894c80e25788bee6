// The framer that splits streaming request bodies into JSON messages, fed in
// every possible split of the input into two chunks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, RpcError } from "../../packages/runtime/src/core/rpc-error.js";
import { resolveMuxOptions } from "../../packages/runtime/src/mux/mux-options.js";
import { JsonMessageFramer } from "../../packages/runtime/src/stream/json-stream-reader.js";
import { closeReason } from "../../packages/runtime/src/websocket/close-codes.js";

interface Case {
  name: string;
  input: string;
  limit?: number;
  /** The messages, or the error code. */
  want: string[] | Code;
}

const cases: Case[] = [
  { name: "newline-delimited", input: '{"a":1}\n{"a":2}\n', want: ['{"a":1}', '{"a":2}'] },
  { name: "concatenated", input: '{"a":1}{"a":2}', want: ['{"a":1}', '{"a":2}'] },
  {
    name: "CRLF and blank lines",
    input: '\r\n{"a":1}\r\n\r\n {"b":[1,{}]} ',
    want: ['{"a":1}', '{"b":[1,{}]}'],
  },
  {
    name: "braces and quotes in strings",
    input: '{"s":"}{\\"]"}{"t":"\\\\"}',
    want: ['{"s":"}{\\"]"}', '{"t":"\\\\"}'],
  },
  {
    name: "top-level scalars",
    input: '"x" 12 true[1]null',
    want: ['"x"', "12", "true", "[1]", "null"],
  },
  { name: "multi-byte UTF-8", input: '{"t":"é✓😀"}{"t":"ü"}', want: ['{"t":"é✓😀"}', '{"t":"ü"}'] },
  { name: "empty", input: " \n ", want: [] },
  { name: "cut off", input: '{"a":1}{"a":', want: Code.InvalidArgument },
  {
    name: "message over the limit",
    input: '{"a":1}\n{"a":"0123456789"}',
    limit: 10,
    want: Code.ResourceExhausted,
  },
  {
    name: "total over the limit, messages under",
    input: '{"a":1}{"a":2}{"a":3}',
    limit: 7,
    want: ['{"a":1}', '{"a":2}', '{"a":3}'],
  },
];

function frame(chunks: Buffer[], limit: number): string[] | Code {
  const framer = new JsonMessageFramer(limit);
  const out: string[] = [];
  for (const chunk of [...chunks, undefined]) {
    const got = chunk === undefined ? framer.end() : framer.push(chunk);
    if (got instanceof RpcError) return got.code;
    out.push(...got.map((b) => b.toString("utf8")));
  }
  return out;
}

for (const c of cases) {
  test(`JsonMessageFramer: ${c.name}`, () => {
    const bytes = Buffer.from(c.input);
    for (let split = 0; split <= bytes.length; split++) {
      const got = frame([bytes.subarray(0, split), bytes.subarray(split)], c.limit ?? 1 << 20);
      assert.deepEqual(got, c.want, `split at byte ${split}`);
    }
  });
}

test("closeReason: the status JSON when it fits, else cut to 123 bytes", () => {
  const registry = resolveMuxOptions().errors;
  const short = new RpcError("nope", Code.NotFound);
  assert.equal(closeReason(short, registry), '{"code":5,"message":"nope","details":[]}');
  const long = new RpcError("é".repeat(200), Code.Internal);
  const reason = closeReason(long, registry);
  assert.ok(Buffer.byteLength(reason) <= 123);
  assert.equal(JSON.parse(reason).code, 13);
  assert.match(JSON.parse(reason).message, /^é+$/);
});
