#!/bin/sh
# Packs the standalone gateway as ONE npm tarball, <out>/ts-gateway-<version>.tgz,
# with @ts-gateway/runtime and protoc-gen-ts-gateway bundled inside it
# (node_modules of the package, `bundleDependencies`). Installed anywhere,
# globally included (`npm install --global ts-gateway-<version>.tgz`), the
# bundled runtime then resolves its optional peers (cockatiel, prom-client, ws,
# jose, ...) from the gateway's own dependencies; installed as three sibling
# global packages it could not (ERR_MODULE_NOT_FOUND 'cockatiel').
# Used by deploy/Dockerfile and by test/consumer/image-install.consumer.ts, so
# the image's steps and the test's cannot drift. Run from anywhere in a clone
# with `npm ci` done.
set -eu
out=${1:?usage: deploy/pack.sh <out-dir>}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/ts-gateway-pack.XXXXXX")
trap 'rm -rf "$stage"' EXIT

cd "$root"
npx tsc -b packages/runtime packages/protoc-gen-ts-gateway packages/gateway
# The packages' own prepack is a clean rebuild; the build above is enough.
npm pack --ignore-scripts --silent --pack-destination "$stage" \
  -w packages/runtime -w packages/protoc-gen-ts-gateway -w packages/gateway >/dev/null

unpack() { # <tarball> <dir>
  mkdir -p "$2"
  tar -xzf "$1" -C "$2" --strip-components=1
}
unpack "$stage"/ts-gateway-[0-9]*.tgz "$stage/gateway"
unpack "$stage"/ts-gateway-runtime-*.tgz "$stage/gateway/node_modules/@ts-gateway/runtime"
unpack "$stage"/protoc-gen-ts-gateway-*.tgz "$stage/gateway/node_modules/protoc-gen-ts-gateway"
# The bundled copies declare no dependencies of their own: they resolve them
# (grpc-js, protobuf-es, cockatiel, ws, ...) from the gateway's, one copy each.
# npm counts every dependency of a bundled package as part of the bundle, so it
# would neither fetch them nor run their scripts in order (ERR_MODULE_NOT_FOUND
# 'yaml', @scarf/scarf's postinstall failing); what they need at run time and
# the gateway does not list yet is added to the gateway's dependencies.
node -e '
  const fs = require("node:fs");
  const read = (file) => JSON.parse(fs.readFileSync(file, "utf8"));
  const write = (file, pkg) => fs.writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  const [gatewayFile, ...bundledFiles] = process.argv.slice(1);
  const gateway = read(gatewayFile);
  const names = [];
  for (const file of bundledFiles) {
    const pkg = read(file);
    names.push(pkg.name);
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      if (!name.startsWith("@types/")) gateway.dependencies[name] ??= range;
    }
    for (const key of ["dependencies", "peerDependencies", "peerDependenciesMeta", "devDependencies"]) {
      delete pkg[key];
    }
    write(file, pkg);
  }
  for (const name of names) gateway.dependencies[name] = read(bundledFiles[names.indexOf(name)]).version;
  gateway.bundleDependencies = names;
  write(gatewayFile, gateway);
' "$stage/gateway/package.json" "$stage/gateway/node_modules/@ts-gateway/runtime/package.json" \
  "$stage/gateway/node_modules/protoc-gen-ts-gateway/package.json"
cd "$stage/gateway"
npm pack --ignore-scripts --silent --pack-destination "$out"
