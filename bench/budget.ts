/** The performance budget of issue 7, as data: `row ≥ min × reference` on a scenario. */
export interface BudgetRule {
  readonly scenario: string;
  readonly row: string;
  readonly reference: string;
  readonly min: number;
}

/** The rows compared, on each scenario the budget names. */
export const budget: readonly BudgetRule[] = [
  { scenario: "get", row: "gateway-node", reference: "floor-grpc", min: 0.9 },
  { scenario: "post", row: "gateway-node", reference: "floor-grpc", min: 0.85 },
  { scenario: "list", row: "gateway-node", reference: "floor-grpc", min: 0.85 },
  ...["get", "post", "list"].flatMap((scenario) => [
    { scenario, row: "gateway-express", reference: "express-grpc", min: 0.9 },
    { scenario, row: "gateway-express", reference: "express-handwritten", min: 1.1 },
  ]),
  { scenario: "get", row: "gateway-inprocess", reference: "floor-http", min: 0.7 },
  // Issue 13: metrics cost at most 5%, an access-log line per request to a file at most 10%.
  { scenario: "get", row: "gateway-node-metrics", reference: "gateway-node", min: 0.95 },
  { scenario: "get", row: "gateway-node-accesslog", reference: "gateway-node", min: 0.9 },
];

/** Route matching may cost at most this much more with 1,000 routes than with 10. */
export const maxScalingGrowth = 1.5;
