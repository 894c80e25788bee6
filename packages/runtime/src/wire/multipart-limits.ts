/** Bounds of `multipart/form-data` request bodies (the mux's `multipart` option). */
export interface MultipartOptions {
  /** Bytes of each message a file streamed into a client-streaming method is cut into. Default 65 536. */
  chunkBytes?: number;
  /** Parts in one body (text and file). Default 1000. */
  maxParts?: number;
  /** Text parts in one body. Default 1000. */
  maxFields?: number;
  /** Bytes of one text part's value (and of a part's name). Default 65 536. */
  maxFieldBytes?: number;
  /** File parts in one body. Default 10. */
  maxFiles?: number;
  /** Bytes of one part's headers. Default 16 384. */
  maxHeaderBytes?: number;
  /**
   * Bytes of one file streamed into a client-streaming method. Default 8 GiB.
   * (A file read whole into a `bytes` or HttpBody field is bounded by
   * `maxRequestBytes`, as the whole body is.)
   */
  maxFileBytes?: number;
  /** Bytes of a whole multipart body streamed into a client-streaming method. Default 8 GiB. */
  maxUploadBytes?: number;
}

/** {@link MultipartOptions} with defaults applied. @internal */
export type MultipartLimits = Required<MultipartOptions>;

/** Applies the defaults of {@link MultipartOptions}. @internal */
export function multipartLimits(options: MultipartOptions | undefined): MultipartLimits {
  return {
    chunkBytes: options?.chunkBytes ?? 64 * 1024,
    maxParts: options?.maxParts ?? 1000,
    maxFields: options?.maxFields ?? 1000,
    maxFieldBytes: options?.maxFieldBytes ?? 64 * 1024,
    maxFiles: options?.maxFiles ?? 10,
    maxHeaderBytes: options?.maxHeaderBytes ?? 16 * 1024,
    maxFileBytes: options?.maxFileBytes ?? 8 * 1024 ** 3,
    maxUploadBytes: options?.maxUploadBytes ?? 8 * 1024 ** 3,
  };
}
