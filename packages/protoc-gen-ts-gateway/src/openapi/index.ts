export { OpenApiConfigurationError } from "./config.js";
export { generateOpenApi } from "./generate-openapi.js";
