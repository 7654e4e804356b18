package rpcclient

import (
	"errors"
	"net/url"
	"strings"

	"google.golang.org/grpc/resolver"
)

// grpcListScheme is the fixed-list scheme: grpc-list://a:50051,b:50051.
const grpcListScheme = "grpc-list"

// grpcTarget turns rpc_host into a gRPC dial target. Commas become slashes so
// that a list host parses as a URL (grpc-list://a:1/b:2); everything else
// (host:port, dns:///…, unix:…) is handed to gRPC unchanged.
func grpcTarget(host string) string {
	return strings.ReplaceAll(host, ",", "/")
}

// listAddresses extracts the addresses of a grpc-list target: the URL host
// plus every non-empty path segment.
func listAddresses(u url.URL) ([]string, error) {
	var addrs []string
	if u.Host != "" {
		addrs = append(addrs, u.Host)
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg != "" {
			addrs = append(addrs, seg)
		}
	}
	if len(addrs) == 0 {
		return nil, errors.New("grpc-list: no addresses in " + u.String())
	}
	return addrs, nil
}

// listResolverBuilder resolves grpc-list targets to a static endpoint list.
// It is passed to each ClientConn with grpc.WithResolvers, so nothing is
// registered globally.
type listResolverBuilder struct{}

func (listResolverBuilder) Scheme() string { return grpcListScheme }

func (listResolverBuilder) Build(target resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	addrs, err := listAddresses(target.URL)
	if err != nil {
		return nil, err
	}
	endpoints := make([]resolver.Endpoint, len(addrs))
	for i, a := range addrs {
		// ServerName keeps TLS verification per address instead of using
		// the last path segment as everyone's authority.
		endpoints[i] = resolver.Endpoint{Addresses: []resolver.Address{{Addr: a, ServerName: a}}}
	}
	// An error here only means the balancer is not happy with the list yet;
	// it reports that through the connection state, so it is not fatal.
	_ = cc.UpdateState(resolver.State{Endpoints: endpoints})
	return staticResolver{}, nil
}

// staticResolver never changes its addresses.
type staticResolver struct{}

func (staticResolver) ResolveNow(resolver.ResolveNowOptions) {}
func (staticResolver) Close()                                {}
