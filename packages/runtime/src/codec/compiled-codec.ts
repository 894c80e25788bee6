import type { Codec } from "./codec.js";
import { compiledFromBinary } from "./compiled-binary-reader.js";
import { compiledToBinary } from "./compiled-binary-writer.js";
import { compiledFromJson } from "./compiled-json-reader.js";
import { compiledToJson } from "./compiled-json-writer.js";
import { protobufEsCodec } from "./protobuf-es-codec.js";

/**
 * Whether this process may compile code from strings (`new Function`): not
 * under `node --disallow-code-generation-from-strings`, nor under a Content
 * Security Policy without `unsafe-eval`. @internal
 */
export function codeGenerationAllowed(): boolean {
  try {
    return new Function("return true")() === true;
  } catch {
    return false;
  }
}

const compiled: Codec = {
  name: "compiled",
  binary: (schema) => ({ encode: compiledToBinary(schema), decode: compiledFromBinary(schema) }),
  fromJson: compiledFromJson,
  toJson: compiledToJson as Codec["toJson"],
};

/**
 * The fast {@link Codec}: encoders and decoders compiled once per message type
 * with `new Function` (codec/compiled-*.ts), equal to protobuf-es's results and
 * errors, which they hand over to for anything off their common path. Where
 * code generation from strings is disallowed it is {@link protobufEsCodec}
 * itself. Tested against the protobuf-es versions the runtime's
 * `@bufbuild/protobuf` range allows.
 */
export const compiledCodec: Codec = codeGenerationAllowed() ? compiled : protobufEsCodec;
