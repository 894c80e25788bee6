// The timeout policy as a table: Grpc-Timeout header × the mux's default and
// maximum → the call's timeout, or a 400 for a bad header.
import assert from "node:assert/strict";
import { test } from "node:test";
import { callTimeout, timeoutPolicy } from "../../packages/runtime/src/core/deadline.js";
import { acceptsTrailers } from "../../packages/runtime/src/headers/response-metadata.js";

const rows: Array<{
  header: string | string[] | undefined;
  defaultMs?: number;
  maxMs?: number;
  want: number | undefined | "error";
}> = [
  { header: undefined, want: undefined },
  { header: "10S", want: 10_000 },
  { header: "500m", want: 500 },
  { header: "1H", want: 3_600_000 },
  { header: "2000u", want: 2 },
  { header: undefined, defaultMs: 250, want: 250 },
  { header: "10S", defaultMs: 250, want: 10_000 },
  { header: "10S", maxMs: 1000, want: 1000 },
  { header: "100m", maxMs: 1000, want: 100 },
  { header: undefined, maxMs: 1000, want: 1000 },
  { header: undefined, defaultMs: 5000, maxMs: 1000, want: 1000 },
  { header: undefined, defaultMs: 0, maxMs: 0, want: undefined },
  { header: "", want: "error" },
  { header: "10", want: "error" },
  { header: "1.5S", want: "error" },
  { header: "123456789S", want: "error" },
  { header: "10S", maxMs: 1, want: 1 },
  { header: ["1S", "2S"], want: "error" },
];

test("callTimeout", () => {
  for (const row of rows) {
    const result = callTimeout(row.header, timeoutPolicy(row.defaultMs, row.maxMs));
    const got = result.ok ? result.ms : "error";
    assert.equal(got, row.want, JSON.stringify(row));
  }
});

test("timeoutPolicy rejects negative and non-finite values", () => {
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => timeoutPolicy(bad, undefined), RangeError);
    assert.throws(() => timeoutPolicy(undefined, bad), RangeError);
  }
});

test("acceptsTrailers: TE lists trailers, over HTTP/1.1", () => {
  const cases: Array<[te: string | undefined, version: [number, number], want: boolean]> = [
    ["trailers", [1, 1], true],
    ["gzip, Trailers", [1, 1], true],
    ["trailers;q=1", [1, 1], true],
    ["gzip", [1, 1], false],
    [undefined, [1, 1], false],
    ["trailers", [1, 0], false],
    ["trailersx", [1, 1], false],
  ];
  for (const [te, [major, minor], want] of cases) {
    const req = {
      headers: te === undefined ? {} : { te },
      httpVersionMajor: major,
      httpVersionMinor: minor,
    } as Parameters<typeof acceptsTrailers>[0];
    assert.equal(acceptsTrailers(req), want, `${te} HTTP/${major}.${minor}`);
  }
});
