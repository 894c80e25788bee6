#!/bin/sh
# The benchmark's own setup, run by bench/run.ts before measuring (not by CI):
# installs the Debian packages the bench uses when they are missing (wrk, and
# for the Go rows Go, protoc and grpc-gateway), then builds the Go reference
# (bench/go) into bench/out/go. Never fails the bench: what cannot be had is
# reported, and run.ts skips the rows that need it.
#
# BENCH_GO=0 skips everything Go; BENCH_APT=0 never calls apt-get.
set -u
here=$(cd "$(dirname "$0")" && pwd)

# wrk: the load generator (autocannon is the fallback).
packages="wrk"
# Go's grpc-gateway 1.6.4 era: golang/protobuf 1.3 and its protoc-gen-go (plugins=grpc).
go_packages="golang-go protobuf-compiler libprotobuf-dev golang-google-grpc-dev \
golang-github-grpc-ecosystem-grpc-gateway-dev golang-grpc-gateway \
golang-github-golang-protobuf-1-3-dev protoc-gen-go-1-3"
[ "${BENCH_GO:-1}" = 0 ] || packages="$packages $go_packages"

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "${BENCH_APT:-1}" = 0 ]; then
    echo "bench setup: missing Debian packages:$missing (BENCH_APT=0: not installing)"
  elif ! command -v apt-get >/dev/null 2>&1; then
    echo "bench setup: missing Debian packages:$missing (no apt-get on this machine)"
  else
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo -n"
    echo "bench setup: installing$missing"
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null; then
      $sudo apt-get update -q >/dev/null 2>&1
      # shellcheck disable=SC2086
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null ||
        echo "bench setup: could not install$missing"
    fi
  fi
fi

[ "${BENCH_GO:-1}" = 0 ] && exit 0
exec "$here/go/build.sh" "$here/out/go"
