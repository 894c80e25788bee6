export { ConfiguredOptionError } from "./annotations.js";
export { OpenApiConfigurationError } from "./config.js";
export { generateOpenApi } from "./generate-openapi.js";
