/**
 * A metadata value: text, or bytes for a key ending in `-bin`. A grpc-js
 * `Buffer` is a `Uint8Array`, so grpc-js values are metadata values too.
 */
export type CallMetadataValue = string | Uint8Array;

/**
 * gRPC metadata as the core sees it: the part of grpc-js's `Metadata` that
 * call contexts, errors and the gateway use. Keys are case-insensitive (stored
 * lowercase); a key may hold several values. A grpc-js `Metadata` satisfies
 * this interface, so one can be passed wherever a `CallMetadata` is asked for,
 * and the grpc-js transport passes it through without a copy.
 */
export interface CallMetadata {
  /** Every value of `key`, in order; empty when there is none. */
  get(key: string): CallMetadataValue[];
  /** Replaces the values of `key` with `value`. Throws on an illegal key or value. */
  set(key: string, value: CallMetadataValue): void;
  /** Appends `value` to the values of `key`. Throws on an illegal key or value. */
  add(key: string, value: CallMetadataValue): void;
  /** Removes `key` and all its values. */
  remove(key: string): void;
  /** The first value of each key. */
  getMap(): { [key: string]: CallMetadataValue };
  /** Every value of each key (what `JSON.stringify` prints). */
  toJSON(): { [key: string]: CallMetadataValue[] };
  /**
   * Appends every value of `other` to this metadata. (grpc-js's own `merge`
   * reads only a grpc-js `Metadata`: merge core metadata into a grpc-js one
   * with `add`.)
   */
  merge(other: CallMetadata): void;
  /** An independent copy (byte values copied too). */
  clone(): CallMetadata;
}

const legalKey = /^[:0-9a-z_.-]+$/;
const legalText = /^[ -~]*$/;

/**
 * Checks a key (already lowercase) and value the way grpc-js's `Metadata`
 * does, so code that runs on either kind fails at the same place.
 */
function validate(key: string, value: CallMetadataValue): void {
  if (!legalKey.test(key)) {
    throw new Error(`Metadata key "${key}" contains illegal characters`);
  }
  if (key.endsWith("-bin")) {
    if (!(value instanceof Uint8Array)) {
      throw new Error("keys that end with '-bin' must have binary values");
    }
  } else if (typeof value !== "string") {
    throw new Error("keys that don't end with '-bin' must have string values");
  } else if (!legalText.test(value)) {
    throw new Error(`Metadata string value "${value}" contains illegal characters`);
  }
}

function copyValue(value: CallMetadataValue): CallMetadataValue {
  // TypedArray#slice copies (Buffer#slice would not) and keeps a Buffer a Buffer.
  return typeof value === "string" ? value : Uint8Array.prototype.slice.call(value);
}

/** The core's own {@link CallMetadata}: a map of lowercase keys to value lists. */
class MapMetadata implements CallMetadata {
  readonly #entries = new Map<string, CallMetadataValue[]>();

  get(key: string): CallMetadataValue[] {
    return this.#entries.get(key.toLowerCase()) ?? [];
  }

  set(key: string, value: CallMetadataValue): void {
    const k = key.toLowerCase();
    validate(k, value);
    this.#entries.set(k, [value]);
  }

  add(key: string, value: CallMetadataValue): void {
    const k = key.toLowerCase();
    validate(k, value);
    const values = this.#entries.get(k);
    if (values === undefined) this.#entries.set(k, [value]);
    else values.push(value);
  }

  remove(key: string): void {
    this.#entries.delete(key.toLowerCase());
  }

  getMap(): { [key: string]: CallMetadataValue } {
    const map: { [key: string]: CallMetadataValue } = {};
    for (const [key, values] of this.#entries) {
      const first = values[0];
      if (first !== undefined) map[key] = copyValue(first);
    }
    return map;
  }

  toJSON(): { [key: string]: CallMetadataValue[] } {
    const entries: { [key: string]: CallMetadataValue[] } = {};
    for (const [key, values] of this.#entries) entries[key] = values;
    return entries;
  }

  merge(other: CallMetadata): void {
    mergeMetadata(this, other);
  }

  clone(): MapMetadata {
    const copy = new MapMetadata();
    for (const [key, values] of this.#entries) copy.#entries.set(key, values.map(copyValue));
    return copy;
  }
}

/**
 * Creates empty metadata, validated like grpc-js's (keys `[0-9a-z_.-]`,
 * printable-ASCII text values, bytes for `-bin` keys). What the core makes
 * where it needs metadata of its own (a new call context, a new error); a
 * grpc-js `Metadata` works the same wherever a {@link CallMetadata} is asked for.
 */
export function createMetadata(): CallMetadata {
  return new MapMetadata();
}

/** Whether `value` has the methods of {@link CallMetadata}. */
export function isCallMetadata(value: unknown): value is CallMetadata {
  if (typeof value !== "object" || value === null) return false;
  const md = value as Record<string, unknown>;
  return (
    typeof md.get === "function" &&
    typeof md.set === "function" &&
    typeof md.add === "function" &&
    typeof md.remove === "function" &&
    typeof md.getMap === "function" &&
    typeof md.toJSON === "function" &&
    typeof md.merge === "function" &&
    typeof md.clone === "function"
  );
}

/**
 * A copy of `source` that the caller may change: a {@link CallMetadata} (grpc-js
 * or not) is cloned; anything else shaped like `toJSON()` (`{ key: values[] }`
 * or `{ key: value }`) is copied entry by entry into new metadata, skipping
 * entries that are not valid metadata; anything else gives empty metadata.
 *
 * @internal
 */
export function copyMetadata(source: unknown): CallMetadata {
  if (isCallMetadata(source)) return source.clone();
  const md = createMetadata();
  addEntries(md, source);
  return md;
}

/**
 * Adds the entries of a `toJSON()`-shaped object (or of anything with a
 * `toJSON` method returning one) to `to`, skipping what `to` rejects.
 *
 * @internal
 */
export function addEntries(to: Pick<CallMetadata, "add">, source: unknown): void {
  if (typeof source !== "object" || source === null) return;
  const toJSON = (source as { toJSON?: unknown }).toJSON;
  const entries: unknown =
    typeof toJSON === "function" ? (toJSON as () => unknown).call(source) : source;
  if (typeof entries !== "object" || entries === null) return;
  for (const [key, values] of Object.entries(entries)) {
    for (const value of Array.isArray(values) ? values : [values]) {
      try {
        to.add(key, value as CallMetadataValue);
      } catch {
        // Not valid metadata: skip it.
      }
    }
  }
}

/** Appends every value of `from` to `to`. @internal */
export function mergeMetadata(to: CallMetadata, from: CallMetadata): void {
  const entries = from.toJSON();
  for (const key in entries) {
    for (const value of entries[key] ?? []) to.add(key, value);
  }
}
