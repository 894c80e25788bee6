// Registers an OpenTelemetry SDK that prints finished spans to stdout, as a
// user registers theirs: `NODE_OPTIONS="--import ./otel.mjs" ts-gateway serve …`
// (in production, an OTLP exporter configured by the OTEL_* variables).
import { ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

new NodeTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
}).register();
