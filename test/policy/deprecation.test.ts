// Deprecation headers: a method marked `deprecated` in the proto
// (errors.v1.ErrorService.CreateThing) answers with Deprecation (RFC 9745),
// Sunset (RFC 8594) and a Link, in both backend modes, errors included;
// a rule can mark or silence routes; other routes carry nothing.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { deprecation } from "@ts-gateway/runtime/policy";
import { modes, type PipelineGateway, startPipelineGateway } from "../pipeline/pipeline-fixture.js";
import { http } from "./policy-support.js";

const since = new Date("2026-01-01T00:00:00Z");
const sunset = new Date("2027-06-30T00:00:00Z");

for (const mode of modes) {
  describe(`deprecation (${mode})`, () => {
    let g: PipelineGateway;
    before(async () => {
      g = await startPipelineGateway(mode, [
        deprecation({
          since,
          sunset,
          link: "https://docs.example/migrate",
          routes: [
            {
              match: { selector: "errors.v1.ErrorService.Sleep" },
              options: { deprecated: true, sunset: undefined },
            },
            { match: { selector: "streaming.v1.*" }, options: false },
          ],
        }),
      ]);
    });
    after(() => g.close());

    const rows = [
      {
        name: "deprecated in the proto",
        run: (g: PipelineGateway) =>
          http(`${g.url}/v1/things`, { method: "POST", body: '{"name":"t"}' }),
        status: 201,
        headers: {
          deprecation: "@1767225600",
          sunset: "Wed, 30 Jun 2027 00:00:00 GMT",
          link: '<https://docs.example/migrate>; rel="deprecation"; type="text/html"',
        },
      },
      {
        name: "deprecated in the proto, failing",
        run: (g: PipelineGateway) => http(`${g.url}/v1/things`, { method: "POST", body: "{" }),
        status: 400,
        headers: { deprecation: "@1767225600", sunset: "Wed, 30 Jun 2027 00:00:00 GMT" },
      },
      {
        name: "deprecated by a rule, without a sunset",
        run: (g: PipelineGateway) => http(`${g.url}/v1/sleep/0`),
        status: 200,
        headers: { deprecation: "@1767225600", sunset: undefined },
      },
      {
        name: "not deprecated",
        run: (g: PipelineGateway) => http(`${g.url}/v1/echo/x`),
        status: 200,
        headers: { deprecation: undefined, sunset: undefined, link: undefined },
      },
    ];
    for (const row of rows) {
      test(row.name, async () => {
        const a = await row.run(g);
        assert.equal(a.status, row.status, a.body);
        for (const [name, value] of Object.entries(row.headers))
          assert.equal(a.headers[name], value, name);
      });
    }
  });
}
