#!/bin/sh
# Installs the tarball deploy/pack.sh made, as the image does:
#   deploy/install.sh <prefix> <tarball>   ->  <prefix>/bin/ts-gateway
# (npm install --global --prefix <prefix> --omit=dev). Used by deploy/Dockerfile
# (prefix /usr/local) and by test/consumer/image-install.consumer.ts.
set -eu
prefix=${1:?usage: deploy/install.sh <prefix> <tarball>}
tarball=${2:?usage: deploy/install.sh <prefix> <tarball>}
npm install --global --prefix "$prefix" --omit=dev --no-audit --no-fund ${NPM_INSTALL_FLAGS:-} "$tarball"
"$prefix/bin/ts-gateway" --version >/dev/null
