/**
 * protovalidate's own CPU time per validation of the small GET's request
 * (`GetItemRequest` with the rules of validated-service.ts), without HTTP:
 * `node --import tsx bench/validate-cost.ts`. Judges the `BENCH_POLICY=validate`
 * row where the machine is too busy for bench/ab.ts to tell a 1 µs difference.
 */
import { create } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import { validatedBenchService } from "./validated-service.js";

const input = validatedBenchService().method.getItem?.input;
if (input === undefined) throw new Error("no GetItem");
const validator = createValidator();
const message = create(input, { id: "42" } as never);
for (let i = 0; i < 50_000; i++) validator.validate(input, message); // compile and warm up
const n = 500_000;
const start = process.cpuUsage();
for (let i = 0; i < n; i++) validator.validate(input, message);
const used = process.cpuUsage(start);
const result = validator.validate(input, message).kind;
console.log(`${((used.user + used.system) / n).toFixed(3)} µs CPU per validation (${result})`);
