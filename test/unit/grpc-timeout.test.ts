import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formatGrpcTimeout,
  parseGrpcTimeout,
} from "../../packages/runtime/src/core/grpc-timeout.js";

describe("parseGrpcTimeout", () => {
  const valid: Array<[string, number]> = [
    ["1H", 3_600_000],
    ["2M", 120_000],
    ["3S", 3_000],
    ["0S", 0],
    ["250m", 250],
    ["1500u", 1.5],
    ["2000000n", 2],
    ["99999999H", 99_999_999 * 3_600_000],
    ["00000001S", 1_000],
  ];
  for (const [input, ms] of valid) {
    it(`parses ${input} as ${ms}ms`, () => {
      assert.deepEqual(parseGrpcTimeout(input), { ok: true, ms });
    });
  }

  const invalid = [
    "",
    "S",
    "1",
    "10",
    "1s",
    "1h",
    "1x",
    "000000001S",
    "123456789m",
    " 1S",
    "1S ",
    "-1S",
    "+1S",
    "1.5S",
    "1e3m",
    "１S", // full-width digit
    "1SS",
  ];
  for (const input of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      const result = parseGrpcTimeout(input);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.message, /invalid grpc-timeout/);
    });
  }
});

describe("formatGrpcTimeout", () => {
  const cases: Array<[number, string]> = [
    [0, "0m"],
    [-5, "0m"],
    [0.5, "500u"],
    [0.0001, "1u"],
    [1, "1m"],
    [1.2, "2m"],
    [1500, "1500m"],
    [99_999_999, "99999999m"],
    [100_000_000, "100000S"],
    [100_000_000_000, "1666667M"],
    [99_999_999 * 3_600_000, "99999999H"],
  ];
  for (const [ms, text] of cases) {
    it(`formats ${ms}ms as ${text}`, () => {
      assert.equal(formatGrpcTimeout(ms), text);
    });
  }

  it("never shortens the timeout and round-trips through the parser", () => {
    for (const ms of [0.3, 1, 7, 999, 12_345.6, 100_000_001, 8e12]) {
      const parsed = parseGrpcTimeout(formatGrpcTimeout(ms));
      assert.ok(parsed.ok);
      assert.ok(parsed.ms >= ms, `${ms} → ${parsed.ms}`);
    }
  });

  it("throws for NaN and Infinity", () => {
    assert.throws(() => formatGrpcTimeout(Number.NaN), RangeError);
    assert.throws(() => formatGrpcTimeout(Number.POSITIVE_INFINITY), RangeError);
  });
});
