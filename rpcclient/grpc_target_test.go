package rpcclient

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestGRPCTarget(t *testing.T) {
	cases := map[string]string{
		"localhost:50051":                       "localhost:50051",
		"dns:///rpc.internal:50051":             "dns:///rpc.internal:50051",
		"grpc-list://a:50051,b:50051":           "grpc-list://a:50051/b:50051",
		"grpc-list://10.0.0.1:1,10.0.0.2:2,c:3": "grpc-list://10.0.0.1:1/10.0.0.2:2/c:3",
	}
	for in, want := range cases {
		if got := grpcTarget(in); got != want {
			t.Errorf("grpcTarget(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestListAddresses(t *testing.T) {
	cases := map[string][]string{
		"grpc-list://a:1,b:2":     {"a:1", "b:2"},
		"grpc-list://a:1":         {"a:1"},
		"grpc-list:///a:1,b:2":    {"a:1", "b:2"},
		"grpc-list://a:1,,b:2,":   {"a:1", "b:2"},
		"grpc-list://[::1]:1,b:2": {"[::1]:1", "b:2"},
	}
	for in, want := range cases {
		u, err := url.Parse(grpcTarget(in))
		if err != nil {
			t.Fatalf("parse %q: %v", in, err)
		}
		got, err := listAddresses(*u)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("listAddresses(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	u, _ := url.Parse("grpc-list://")
	if _, err := listAddresses(*u); err == nil {
		t.Error("empty list must be an error")
	}
}

// FuzzListAddresses feeds arbitrary rpc_host values through the grpc-list
// parsing: it must not panic, and every address must be non-empty and free
// of separators.
func FuzzListAddresses(f *testing.F) {
	for _, s := range []string{"grpc-list://a:1,b:2", "grpc-list:///x", "grpc-list://", "grpc-list://[::1]:5,%zz", "grpc-list://a/b/c,,d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		u, err := url.Parse(grpcTarget(host))
		if err != nil {
			return
		}
		addrs, err := listAddresses(*u)
		if err != nil {
			if len(addrs) != 0 {
				t.Fatal("error with addresses")
			}
			return
		}
		if len(addrs) == 0 {
			t.Fatal("no error and no addresses")
		}
		for _, a := range addrs {
			if a == "" || strings.ContainsAny(a, ",/") {
				t.Fatalf("bad address %q from %q", a, host)
			}
		}
	})
}
