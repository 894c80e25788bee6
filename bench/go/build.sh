#!/bin/sh
# Builds the Go reference rows offline from Debian's Go sources
# (/usr/share/gocode, GOPATH mode, no module proxy): protoc generates the
# BenchService messages, gRPC stubs (protoc-gen-go 1.3, plugins=grpc) and
# grpc-gateway handlers from bench/proto, then `go build` makes
# <out>/gateway (grpc-gateway) and <out>/backend (a grpc-go BenchService).
# Skips the build when both binaries are newer than their sources.
# Exits 0 with the binaries, 2 (and a message) when the toolchain is missing.
set -eu
out=${1:?usage: build.sh <out-dir>}
here=$(cd "$(dirname "$0")" && pwd)
proto=$(cd "$here/../proto" && pwd)
gocode=/usr/share/gocode
googleapis=$gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis

for tool in go protoc protoc-gen-go protoc-gen-grpc-gateway; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench go: $tool not found"; exit 2; }
done
for dir in "$googleapis" "$gocode/src/github.com/grpc-ecosystem/grpc-gateway/runtime" \
  "$gocode/src/google.golang.org/grpc" "$gocode/src/github.com/golang/protobuf/proto"; do
  [ -d "$dir" ] || { echo "bench go: $dir not found"; exit 2; }
done

mkdir -p "$out"
if [ -x "$out/gateway" ] && [ -x "$out/backend" ] &&
  [ -z "$(find "$here" "$proto" -newer "$out/gateway" \( -name '*.go' -o -name '*.proto' \) | head -1)" ]; then
  exit 0
fi

gopath="$out/gopath"
rm -rf "$gopath/src/bench"
mkdir -p "$gopath/src"
# Both generators write <gopath>/src/bench/v1 (Go package bench_v1, imported as "bench/v1").
protoc -I "$proto" -I "$googleapis" -I /usr/include \
  --go_out=plugins=grpc:"$gopath/src" \
  --grpc-gateway_out=logtostderr=true:"$gopath/src" \
  bench/v1/bench.proto

export GO111MODULE=off GOPATH="$gopath:$gocode" GOPROXY=off GOFLAGS= GOCACHE="$out/cache"
echo "bench go: building grpc-gateway and the Go backend (the first build takes about a minute)"
cd "$here"
go build -o "$out/gateway" ./gateway
go build -o "$out/backend" ./backend
