import { openApiDocument } from "protoc-gen-ts-gateway/openapi";
import type { GatewayService } from "./gateway-service.js";

/** How the gateway's JSON looks, which the document's schemas must match. */
export interface OpenApiJsonOptions {
  readonly useProtoFieldName?: boolean | undefined;
  readonly enumAsInteger?: boolean | undefined;
}

/**
 * The OpenAPI 3.1 document of the routes the gateway serves from descriptor
 * sets, made by the plugin's generator (`protoc-gen-ts-gateway/openapi`), so
 * a team without TypeScript gets the document `openapi=true` would write.
 * Services from generated modules are left out: the plugin wrote theirs.
 *
 * @throws {Error} when no service comes from a descriptor set.
 */
export function openApiFromServices(
  services: readonly GatewayService[],
  title: string,
  json: OpenApiJsonOptions = {},
): Record<string, unknown> {
  const described = services.flatMap((s) =>
    s.routeInfos === undefined ? [] : [{ service: s.routes.service, routes: s.routeInfos }],
  );
  if (described.length === 0) {
    throw new Error(
      "no service comes from a descriptor set: give docs.spec (the plugin's openapi=true output)",
    );
  }
  return openApiDocument({
    title,
    services: described,
    useProtoFieldName: json.useProtoFieldName,
    enumAsInteger: json.enumAsInteger,
  });
}

/** `docs.title`, else the only service's full name, else `API`. */
export function documentTitle(
  services: readonly GatewayService[],
  title: string | undefined,
): string {
  if (title !== undefined) return title;
  const only = services.length === 1 ? services[0] : undefined;
  return only?.routes.service.typeName ?? "API";
}
