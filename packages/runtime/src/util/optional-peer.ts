/**
 * Loads an optional peer dependency of the runtime (etcd3, cockatiel, ws) where
 * the feature that needs it starts, so that a user who does not use the
 * feature need not install it.
 *
 * `load` is the dynamic import itself (`() => import("etcd3")`), so that its
 * type and the bundlers' view of it stay exact. When the package is not
 * installed, the Error names it, the feature, and the install command; any
 * other failure (including a missing dependency of the package) is rethrown.
 */
export async function importOptionalPeer<T>(
  packageName: string,
  feature: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw notInstalled(error, packageName, feature);
  }
}

/**
 * {@link importOptionalPeer} for a feature that starts synchronously (a
 * constructor option): `load` is the `require` call itself, e.g.
 * `() => require("ws")` with a `createRequire(import.meta.url)` require.
 */
export function requireOptionalPeer<T>(packageName: string, feature: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    throw notInstalled(error, packageName, feature);
  }
}

/** The clear error when `error` says `packageName` is not installed; else `error` itself. */
function notInstalled(error: unknown, packageName: string, feature: string): unknown {
  if (!isPackageNotFound(error, packageName)) return error;
  return new Error(
    `${feature} needs "${packageName}", an optional peer dependency of @ts-gateway/runtime that is not installed: npm install ${packageName}`,
    { cause: error },
  );
}

/** Whether `error` is Node's "cannot find package" for `packageName` itself. */
function isPackageNotFound(error: unknown, packageName: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") return false;
  return error.message.includes(`'${packageName}'`);
}
