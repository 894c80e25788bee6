// Command backend is BenchService in Go (Debian's golang-google-grpc-dev):
// the same answers as bench/service.ts's BenchImplementation, for the rows
// that run against a Go backend. It prints "listening on <host:port>" once it
// accepts connections.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"strconv"

	"google.golang.org/grpc"

	benchpb "bench/v1"
)

// listSize matches bench/service.ts: 56 items of about 1.2 KB of JSON each.
const listSize = 56

type server struct {
	list *benchpb.ListItemsResponse
}

// fullItem matches fullItem in bench/service.ts.
func fullItem(id string) *benchpb.Item {
	attributes := make([]*benchpb.Attribute, 8)
	for i := range attributes {
		n := int32(i)
		attributes[i] = &benchpb.Attribute{
			Key:    "attribute-" + strconv.Itoa(i),
			Value:  "value of attribute " + strconv.Itoa(i) + ", long enough to matter",
			Scores: []int32{n, n * 3, n * 7, 1000 + n},
		}
	}
	return &benchpb.Item{
		Id:         id,
		Name:       "A reasonably descriptive item name, number " + id,
		PriceCents: 129999,
		Available:  true,
		Tags:       []string{"hardware", "garden", "outdoor", "steel", "hand-tool", "gift", "sale", "new"},
		Dimensions: &benchpb.Dimensions{Width: 12.5, Height: 30.25, Depth: 4.75, Unit: "centimetre"},
		Attributes: attributes,
		Labels:     map[string]string{"team": "catalogue", "region": "eu-west", "tier": "gold", "owner": "bench"},
		Kind:       benchpb.Kind_KIND_TOOL,
	}
}

func (s *server) GetItem(_ context.Context, req *benchpb.GetItemRequest) (*benchpb.Item, error) {
	return &benchpb.Item{
		Id:         req.Id,
		Name:       "item " + req.Id,
		PriceCents: 1299,
		Available:  true,
		Kind:       benchpb.Kind_KIND_BOOK,
	}, nil
}

func (s *server) CreateItem(_ context.Context, req *benchpb.CreateItemRequest) (*benchpb.Item, error) {
	item := req.Item
	if item == nil {
		item = &benchpb.Item{}
	}
	item.Id = "created-1"
	return item, nil
}

func (s *server) ListItems(context.Context, *benchpb.ListItemsRequest) (*benchpb.ListItemsResponse, error) {
	return s.list, nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "gRPC listen address")
	flag.Parse()

	items := make([]*benchpb.Item, listSize)
	for i := range items {
		items[i] = fullItem(strconv.Itoa(i))
	}
	srv := grpc.NewServer()
	benchpb.RegisterBenchServiceServer(srv, &server{
		list: &benchpb.ListItemsResponse{Items: items, NextPageToken: "page-2"},
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("backend: %v", err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	log.Fatal(srv.Serve(ln))
}
