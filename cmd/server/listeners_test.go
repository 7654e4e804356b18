package server

import (
	"fmt"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/api"
)

// Every HTTP listener (plain requests on the main port, the separate
// broadcast and REST API ports) cuts off slow and idle clients with the same
// bounds (api.NewHTTPServer; the behaviour is tested in package api).
func TestHTTPListenersAreBounded(t *testing.T) {
	srv := startServer(t, fmt.Sprintf("--api_port=%d", freePort(t)), "--api_secret=s3cret")
	servers := map[string]*fasthttp.Server{"main": srv.httpSrv, "broadcast": srv.bcastSrv, "api": srv.apiSrv}
	want := api.DefaultHTTPTimeouts
	for name, s := range servers {
		if s == nil {
			t.Fatalf("%s: no separate server", name)
		}
		if s.ReadTimeout != want.Read || s.WriteTimeout != want.Write || s.IdleTimeout != want.Idle {
			t.Errorf("%s: read %v write %v idle %v, want %+v", name, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout, want)
		}
	}
}
