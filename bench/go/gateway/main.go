// Command gateway is the benchmark's Go reference: grpc-gateway (Debian's
// golang-github-grpc-ecosystem-grpc-gateway-dev) in front of a BenchService
// gRPC backend, as its README shows it, with one change: JSON field names in
// lowerCamelCase (OrigName: false), so it answers what ts-gateway answers.
// It prints "listening on <host:port>" once it accepts connections.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc"

	benchpb "bench/v1"
)

func main() {
	backend := flag.String("backend", "127.0.0.1:50051", "gRPC backend host:port")
	listen := flag.String("listen", "127.0.0.1:0", "HTTP listen address")
	flag.Parse()

	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{OrigName: false}),
	)
	opts := []grpc.DialOption{grpc.WithInsecure()}
	if err := benchpb.RegisterBenchServiceHandlerFromEndpoint(context.Background(), mux, *backend, opts); err != nil {
		log.Fatalf("gateway: %v", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("gateway: %v", err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}
