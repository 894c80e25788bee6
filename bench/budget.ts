/**
 * The performance budget (issues 7 and 17), as data: `row ≥ min × reference`
 * in req/s on a scenario, and `row's p99 ≤ max × reference's p99` at the same
 * fixed offered load.
 */
export interface BudgetRule {
  readonly scenario: string;
  readonly row: string;
  readonly reference: string;
  readonly min: number;
}

/** The Go grpc-gateway row's name. */
export const GO_ROW = "go-grpc-gateway";

/** The rows compared, on each scenario the budget names. */
export const budget: readonly BudgetRule[] = [
  { scenario: "get", row: "gateway-node", reference: "floor-grpc", min: 0.9 },
  { scenario: "post", row: "gateway-node", reference: "floor-grpc", min: 0.85 },
  { scenario: "list", row: "gateway-node", reference: "floor-grpc", min: 0.85 },
  // Issue 17, goal 6: the gateway in Express within 5 % of its grpc-js floor in Express.
  ...["get", "post", "list"].map((scenario) => ({
    scenario,
    row: "gateway-express",
    reference: "express-grpc",
    min: 0.95,
  })),
  { scenario: "get", row: "gateway-inprocess", reference: "floor-http", min: 0.7 },
  // Issue 17, goals 2 and 4: against Go's grpc-gateway in front of the same backend.
  { scenario: "get", row: "gateway-node", reference: GO_ROW, min: 0.35 },
  { scenario: "post", row: "gateway-node", reference: GO_ROW, min: 0.5 },
  { scenario: "list", row: "gateway-node", reference: GO_ROW, min: 0.5 },
  { scenario: "get", row: "gateway-inprocess", reference: GO_ROW, min: 2 },
  // Issue 17, goal 3: the standalone gateway on every core (`workers: 2` = `auto` on 2 cores).
  { scenario: "get", row: "standalone-w2", reference: GO_ROW, min: 0.5 },
  // Issue 13: metrics cost at most 5%, an access-log line per request to a file at most 10%.
  { scenario: "get", row: "gateway-node-metrics", reference: "gateway-node", min: 0.95 },
  { scenario: "get", row: "gateway-node-accesslog", reference: "gateway-node", min: 0.9 },
];

/** A latency budget item: `row`'s p99 at most `max ×` `reference`'s, at the same offered load. */
export interface LatencyRule {
  readonly scenario: string;
  readonly row: string;
  readonly reference: string;
  readonly max: number;
}

/** Issue 17, goal 5: p99 within 1.5 × Go's at the same offered load. */
export const latencyBudget: readonly LatencyRule[] = ["get", "post", "list"].map((scenario) => ({
  scenario,
  row: "gateway-node",
  reference: GO_ROW,
  max: 1.5,
}));

/** Route matching may cost at most this much more with 1,000 routes than with 10. */
export const maxScalingGrowth = 1.5;
