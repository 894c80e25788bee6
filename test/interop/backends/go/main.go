// Command interop-backend is interop.v1.InteropService on grpc-go (Debian's
// golang-google-grpc-dev), for test/interop: the same answers as
// interop_server.py, with google.golang.org/grpc/health's server. It prints
// "listening <port>" once it accepts calls and exits when stdin closes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	interoppb "interop/v1"
)

type server struct {
	interoppb.UnimplementedInteropServiceServer
	cancelled     int32
	sleepsStarted int32
}

func (s *server) Echo(ctx context.Context, req *interoppb.EchoRequest) (*interoppb.EchoResponse, error) {
	received := map[string]string{}
	md, _ := metadata.FromIncomingContext(ctx)
	for key, values := range md {
		if strings.HasPrefix(key, "x-interop-") && len(values) > 0 {
			received[key] = values[0]
		}
	}
	header := metadata.Pairs("x-interop-reply", "header")
	if req.HttpCode != 0 {
		header.Append("x-http-code", strconv.Itoa(int(req.HttpCode)))
	}
	if err := grpc.SetHeader(ctx, header); err != nil {
		return nil, err
	}
	if err := grpc.SetTrailer(ctx, metadata.Pairs("x-interop-trailer", "trailer")); err != nil {
		return nil, err
	}
	return &interoppb.EchoResponse{Text: req.Text, Metadata: received}, nil
}

func (s *server) Fail(_ context.Context, req *interoppb.FailRequest) (*interoppb.FailResponse, error) {
	if req.Raise {
		// A Go handler's plain error: the client gets UNKNOWN with its text.
		return nil, fmt.Errorf("boom from go")
	}
	code := codes.Code(req.Code)
	if code == codes.OK {
		code = codes.Unknown
	}
	st := status.New(code, req.Message)
	if req.Details {
		withDetails, err := st.WithDetails(&errdetails.BadRequest{
			FieldViolations: []*errdetails.BadRequest_FieldViolation{
				{Field: "text", Description: "must not be empty"},
			},
		})
		if err != nil {
			return nil, err
		}
		st = withDetails
	}
	return nil, st.Err()
}

func (s *server) Sleep(ctx context.Context, req *interoppb.SleepRequest) (*interoppb.SleepResponse, error) {
	atomic.AddInt32(&s.sleepsStarted, 1)
	select {
	case <-time.After(time.Duration(req.Ms) * time.Millisecond):
		return &interoppb.SleepResponse{}, nil
	case <-ctx.Done():
		atomic.AddInt32(&s.cancelled, 1)
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

func (s *server) Count(req *interoppb.CountRequest, stream interoppb.InteropService_CountServer) error {
	for n := int32(1); n <= req.Count; n++ {
		if n > 1 && req.IntervalMs > 0 {
			select {
			case <-time.After(time.Duration(req.IntervalMs) * time.Millisecond):
			case <-stream.Context().Done():
				atomic.AddInt32(&s.cancelled, 1)
				return stream.Context().Err()
			}
		}
		if err := stream.Send(&interoppb.CountResponse{N: n}); err != nil {
			return err
		}
	}
	return nil
}

func (s *server) Stats(context.Context, *interoppb.StatsRequest) (*interoppb.StatsResponse, error) {
	return &interoppb.StatsResponse{
		Cancelled:     atomic.LoadInt32(&s.cancelled),
		SleepsStarted: atomic.LoadInt32(&s.sleepsStarted),
	}, nil
}

func main() {
	noHealth := flag.Bool("no-health", false, "do not serve grpc.health.v1.Health")
	flag.Parse()
	srv := grpc.NewServer()
	interoppb.RegisterInteropServiceServer(srv, &server{})
	if !*noHealth {
		healthpb.RegisterHealthServer(srv, health.NewServer())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("interop backend: %v", err)
	}
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		srv.Stop()
		os.Exit(0)
	}()
	if err := srv.Serve(ln); err != nil {
		log.Fatalf("interop backend: %v", err)
	}
}
