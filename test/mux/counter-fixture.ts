// The backend of the mux-option tests: muxoptions.v1.CounterService on a
// grpc-js server, whose answers carry every kind of 64-bit field (one past
// 2^53, where a double would round) and a note padded on request.
import { type Code, RpcError } from "@ts-gateway/runtime";
import {
  addCounterService,
  type CounterServiceApi,
} from "../gen/muxoptions/v1/mux_options_gateway.js";
import { Color } from "../gen/muxoptions/v1/mux_options_pb.js";
import { type GrpcTestServer, startGrpcServer } from "../support/servers.js";

/** 2^53 + 1: not a double. */
export const big = 9007199254740993n;

/** A string shaped like the int64 writer's internal mark, which must come out unchanged. */
export const fakeMark = "\u0001i64:guess:42";

function counter(name: string, value: bigint, note: string, color = Color.RED) {
  return {
    name,
    value,
    total: big,
    history: [-big, 7n],
    byKey: { a: big },
    limit: -5n,
    parent: { name: "root", value: 3n },
    note,
    small: 1,
    color,
    colors: [Color.RED, Color.DARK_BLUE],
  };
}

export const counterBackend: CounterServiceApi = {
  async getCounter(req) {
    const extra = Object.keys(req.extra).length > 0 ? JSON.stringify(req.extra) : "";
    const note =
      req.note !== ""
        ? req.note
        : extra !== ""
          ? extra
          : req.noteBytes > 0
            ? "n".repeat(req.noteBytes)
            : fakeMark;
    const color = req.color === Color.UNSPECIFIED ? Color.RED : req.color;
    return counter(req.name, req.value === 0n ? big : req.value, note, color);
  },
  async putCounter(req) {
    return req;
  },
  async updateCounter(req) {
    return req.counter ?? {};
  },
  async *listCounters(req) {
    for (let i = 1; i <= req.count; i++) {
      yield counter(`c${i}`, BigInt(i), "n".repeat(i * req.noteBytes));
    }
    if (req.failCode !== 0) throw new RpcError("the counters ran out", req.failCode as Code);
  },
};

/** Starts the backend on a loopback port. */
export function startCounterBackend(): Promise<GrpcTestServer> {
  return startGrpcServer((server) => addCounterService(server, counterBackend));
}
