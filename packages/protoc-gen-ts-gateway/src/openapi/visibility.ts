import {
  type DescEnumValue,
  type DescField,
  type DescMethod,
  type DescService,
  getOption,
  hasOption,
} from "@bufbuild/protobuf";
import {
  api_visibility,
  field_visibility,
  method_visibility,
  value_visibility,
} from "../proto/google/api/visibility_pb.js";

/**
 * Whether an element stays in the document: one without a
 * `google.api.visibility` restriction always does; a restricted one
 * (`restriction: "INTERNAL, PREVIEW"`) only if one of its labels is among
 * the selectors (`openapi_visibility_restriction_selectors`), as
 * grpc-gateway's `visibility_restriction_selectors` decides.
 */
export function isVisible(
  desc: DescService | DescMethod | DescField | DescEnumValue,
  selectors: ReadonlySet<string>,
): boolean {
  const restriction = restrictionOf(desc);
  if (restriction === "") return true;
  return restriction.split(",").some((label) => selectors.has(label.trim()));
}

function restrictionOf(desc: DescService | DescMethod | DescField | DescEnumValue): string {
  switch (desc.kind) {
    case "service":
      return hasOption(desc, api_visibility) ? getOption(desc, api_visibility).restriction : "";
    case "rpc":
      return hasOption(desc, method_visibility)
        ? getOption(desc, method_visibility).restriction
        : "";
    case "field":
      return hasOption(desc, field_visibility) ? getOption(desc, field_visibility).restriction : "";
    case "enum_value":
      return hasOption(desc, value_visibility) ? getOption(desc, value_visibility).restriction : "";
  }
}
