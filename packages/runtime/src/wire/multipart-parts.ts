import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { Busboy, type BusboyFileStream, type BusboyInstance } from "@fastify/busboy";
import { HttpStatusError } from "../core/http-status-error.js";
import { Code, RpcError } from "../core/rpc-error.js";
import type { MultipartLimits } from "./multipart-limits.js";
import { decoderFor } from "./request-body.js";

/** One part of a multipart body, in body order. @internal */
export type FormPart =
  | { readonly kind: "field"; readonly name: string; readonly value: string }
  | {
      readonly kind: "file";
      readonly name: string;
      readonly filename: string;
      readonly contentType: string;
      /**
       * The file's bytes; read them before asking for the next part (that is
       * the backpressure). A body that ends or breaks mid-file throws the
       * part's 400 (or the bound's 413) here.
       */
      readonly data: AsyncIterable<Buffer>;
    };

/** The request's media type, lower case, without parameters. @internal */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return "";
  const semi = contentType.indexOf(";");
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** The form media types a route with a body reads. @internal */
export type FormKind = "urlencoded" | "multipart";

/** Which form a Content-Type names, or undefined for any other. @internal */
export function formKind(contentType: string | undefined): FormKind | undefined {
  switch (mediaType(contentType)) {
    case "application/x-www-form-urlencoded":
      return "urlencoded";
    case "multipart/form-data":
      return "multipart";
    default:
      return undefined;
  }
}

/**
 * The parts of a `multipart/form-data` request body, parsed by busboy as the
 * body arrives and handed out one at a time: nothing is buffered but the part
 * being read (a text part whole, up to `maxFieldBytes`; a file as a stream).
 * The request is paused while a file stream is not read, so a slow reader
 * slows the client. A part is a file when its `Content-Disposition` has a
 * `filename` (as browsers send every `<input type="file">`).
 *
 * Errors end the iteration (and destroy the file stream being read): more
 * parts, text parts or files than allowed, a text part, file, header or body
 * over its bound (413, RESOURCE_EXHAUSTED); a malformed or truncated body, a
 * nested multipart part, a filename with control characters (400,
 * INVALID_ARGUMENT); a client that goes away (CANCELLED). `maxBytes` bounds
 * the decoded body; `onBytes` counts it. A Content-Type without a boundary
 * throws (400) at once.
 * @internal
 */
export function multipartParts(
  req: IncomingMessage,
  limits: MultipartLimits,
  maxBytes: number,
  onBytes: (n: number) => void,
): AsyncGenerator<FormPart> {
  const decoder = decoderFor(req.headers["content-encoding"]);
  let boy: BusboyInstance;
  try {
    if (decoder instanceof RpcError) throw decoder;
    boy = Busboy({
      headers: req.headers as Parameters<typeof Busboy>[0]["headers"],
      isPartAFile: (_name, _type, filename) => filename !== undefined,
      limits: {
        parts: limits.maxParts,
        fields: limits.maxFields,
        files: limits.maxFiles,
        fieldSize: limits.maxFieldBytes,
        fieldNameSize: limits.maxFieldBytes,
        fileSize: limits.maxFileBytes,
        headerSize: limits.maxHeaderBytes,
        headerPairs: 16,
      },
    });
  } catch (err) {
    const error =
      err instanceof RpcError
        ? err
        : invalid(`malformed multipart/form-data request: ${(err as Error).message}`);
    throw error;
  }
  const source: Readable = decoder === undefined ? req : req.pipe(decoder);
  const queue: Array<{ part: FormPart; stream?: Readable }> = [];
  let failure: RpcError | undefined;
  let finished = false;
  let wake: (() => void) | undefined;
  let current: BusboyFileStream | undefined;
  let size = 0;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (err: RpcError) => {
    if (failure !== undefined || finished) return;
    failure = err;
    stop();
    current?.destroy(err);
    notify();
  };
  const stop = () => {
    source.unpipe(boy);
    source.off("data", onData);
    req.off("close", onClose);
    if (decoder !== undefined) {
      req.unpipe(decoder);
      decoder.destroy();
    }
    // Drain what the client still sends, so its answer can be read.
    req.resume();
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    onBytes(chunk.length);
    if (size > maxBytes) fail(tooLarge(`request body is larger than ${maxBytes} bytes`));
  };
  const onClose = () => {
    if (!req.readableEnded) {
      fail(new RpcError("client closed the request before sending its body", Code.Cancelled));
    }
  };
  boy.on("field", (name, value, nameTruncated, valueTruncated, _encoding, type) => {
    if (nameTruncated || valueTruncated) {
      fail(tooLarge(`form field "${clip(name)}" is larger than ${limits.maxFieldBytes} bytes`));
    } else if (mediaType(type).startsWith("multipart/")) {
      fail(
        invalid(`form field "${clip(name)}" is a nested multipart body, which is not supported`),
      );
    } else {
      queue.push({ part: { kind: "field", name, value } });
      notify();
    }
  });
  boy.on("file", (name, stream, filename, _encoding, type) => {
    stream.on("error", () => {});
    if (failure !== undefined) {
      stream.resume();
      return;
    }
    if (mediaType(type).startsWith("multipart/")) {
      stream.resume();
      fail(invalid(`file "${clip(name)}" is a nested multipart body, which is not supported`));
      return;
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
    if (/[\u0000-\u001f\u007f]/.test(filename)) {
      stream.resume();
      fail(invalid(`file "${clip(name)}" has a filename with control characters`));
      return;
    }
    current = stream;
    stream.on("limit", () =>
      fail(tooLarge(`file "${clip(name)}" is larger than ${limits.maxFileBytes} bytes`)),
    );
    stream.on("end", () => {
      if (current === stream) current = undefined;
    });
    const data = (async function* fileData(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (err) {
        throw (
          failure ??
          (err instanceof RpcError
            ? err
            : invalid(`malformed multipart/form-data body: ${(err as Error).message}`, err))
        );
      }
    })();
    queue.push({ part: { kind: "file", name, filename, contentType: type, data }, stream });
    notify();
  });
  onHeaderTruncated(boy, () =>
    fail(tooLarge(`a part's headers are larger than ${limits.maxHeaderBytes} bytes`)),
  );
  boy.on("partsLimit", () => fail(tooLarge(`more than ${limits.maxParts} parts`)));
  boy.on("fieldsLimit", () => fail(tooLarge(`more than ${limits.maxFields} form fields`)));
  boy.on("filesLimit", () => fail(tooLarge(`more than ${limits.maxFiles} files`)));
  boy.on("error", (err: unknown) =>
    fail(invalid(`malformed multipart/form-data body: ${(err as Error).message}`)),
  );
  boy.on("finish", () => {
    if (failure !== undefined) return;
    finished = true;
    req.off("close", onClose);
    notify();
  });
  source.on("data", onData);
  if (decoder !== undefined) {
    decoder.on("error", (err) =>
      fail(invalid(`request body is not valid ${req.headers["content-encoding"]}`, err)),
    );
  }
  req.on("close", onClose);
  source.pipe(boy);
  return (async function* parts(): AsyncGenerator<FormPart> {
    try {
      for (;;) {
        if (failure !== undefined) throw failure;
        const next = queue.shift();
        if (next !== undefined) {
          yield next.part;
          // A file the reader left unread is skipped, so busboy moves on.
          if (next.stream !== undefined && !next.stream.readableEnded) next.stream.resume();
          continue;
        }
        if (finished) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      if (!finished) fail(new RpcError("multipart body was not read to its end", Code.Cancelled));
    }
  })();
}

function clip(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}…` : name;
}

function tooLarge(message: string): RpcError {
  return new HttpStatusError(message, Code.ResourceExhausted, 413);
}

function invalid(message: string, cause?: unknown): RpcError {
  return new HttpStatusError(message, Code.InvalidArgument, 400, { cause });
}

/** The part-header parser inside @fastify/busboy 3 (`Busboy._parser.parser._hparser`). */
interface HeaderParserInternals {
  maxed: boolean;
  _finish(): void;
}

/**
 * Calls `onTruncated` when a part's header block is longer than busboy's
 * `headerSize`. @fastify/busboy cuts such a block and goes on without a
 * word, so a 1 MB header would give a part with a truncated name or
 * filename, or drop its Content-Disposition: a silent success. Its header
 * parser marks the cut (`maxed`) until it finishes the block; this wraps
 * that one instance's `_finish`. Reaching into the parser is the price of
 * using the library: `test/adversarial/upload-attacks.test.ts` ("a part with
 * a 1 MB header") fails if an upgrade moves it, and this throws at once when
 * the parser is not where it is expected.
 */
function onHeaderTruncated(boy: BusboyInstance, onTruncated: () => void): void {
  const internals = boy as unknown as {
    _parser?: { parser?: { _hparser?: HeaderParserInternals } };
  };
  const parser = internals._parser?.parser?._hparser;
  if (parser === undefined || typeof parser._finish !== "function" || !("maxed" in parser)) {
    throw new Error("@fastify/busboy's part-header parser is not where this version expects it");
  }
  const finish = parser._finish;
  parser._finish = function finishHeader(this: HeaderParserInternals) {
    if (this.maxed) onTruncated();
    finish.call(this);
  };
}
