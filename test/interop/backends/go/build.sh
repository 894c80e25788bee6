#!/bin/sh
# Builds test/interop's grpc-go backend offline from Debian's Go sources
# (/usr/share/gocode, GOPATH mode, no module proxy), as bench/go/build.sh does:
# protoc generates interop.v1's messages and gRPC stubs (protoc-gen-go,
# plugins=grpc), then `go build` makes <out>/interop-backend. Skips the build
# when the binary is newer than its sources. Exits 2 with the missing piece
# and the Debian packages to install when the toolchain is not there.
set -eu
out=${1:?usage: build.sh <out-dir>}
here=$(cd "$(dirname "$0")" && pwd)
proto=$(cd "$here/../../../proto" && pwd)
gocode=/usr/share/gocode
googleapis=$gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
install="apt-get install golang-go protobuf-compiler libprotobuf-dev protoc-gen-go-1-3 golang-github-golang-protobuf-1-3-dev golang-google-grpc-dev golang-google-genproto-dev golang-github-grpc-ecosystem-grpc-gateway-dev"

for tool in go protoc protoc-gen-go; do
  command -v "$tool" >/dev/null 2>&1 || { echo "interop go: $tool not found ($install)"; exit 2; }
done
for dir in "$googleapis" "$gocode/src/google.golang.org/grpc/health" \
  "$gocode/src/google.golang.org/genproto/googleapis/rpc/errdetails"; do
  [ -d "$dir" ] || { echo "interop go: $dir not found ($install)"; exit 2; }
done

mkdir -p "$out"
bin="$out/interop-backend"
if [ -x "$bin" ] && [ -z "$(find "$here" "$proto/interop" -newer "$bin" \( -name '*.go' -o -name '*.proto' \) | head -1)" ]; then
  exit 0
fi
gopath="$out/gopath"
rm -rf "$gopath/src/interop"
mkdir -p "$gopath/src"
# Go package interop_v1, imported as "interop/v1".
protoc -I "$proto" -I "$googleapis" -I /usr/include \
  --go_out=plugins=grpc,Minterop/v1/interop.proto=interop/v1:"$gopath/src" \
  interop/v1/interop.proto
export GO111MODULE=off GOPATH="$gopath:$gocode" GOPROXY=off GOFLAGS= GOCACHE="$out/cache"
cd "$here"
go build -o "$bin" .
