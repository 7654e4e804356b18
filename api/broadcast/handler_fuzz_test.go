package broadcast

import (
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/broker/brokertest"
)

// FuzzHandler feeds arbitrary methods, Authorization headers and bodies to
// the handler: it must answer one of its documented statuses, deliver only
// for 201, and never panic.
func FuzzHandler(f *testing.F) {
	f.Add("POST", "Bearer k", []byte(`{"stream":"s","data":"d"}`))
	f.Add("POST", "Bearer k", []byte(`[{"stream":"s","data":"d"},{"stream":"t","data":"e"}]`))
	f.Add("POST", "Bearer k", []byte(`{"command":"disconnect","payload":{"identifier":"x"}}`))
	f.Add("POST", "Bearer x", []byte(`{"stream":"s"}`))
	f.Add("OPTIONS", "", []byte(nil))
	f.Add("GET", "Bearer k", []byte(`{`))
	f.Fuzz(func(t *testing.T, method, auth string, body []byte) {
		rec := brokertest.NewRecorder()
		h := NewHandler(Options{Key: "k", CORS: true, MaxBodySize: 1 << 10}, rec, nil)
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(method)
		ctx.Request.SetRequestURI("/_broadcast")
		ctx.Request.Header.Set("Authorization", auth)
		ctx.Request.SetBody(body)
		h(&ctx)
		status := ctx.Response.StatusCode()
		switch status {
		case 200, 201, 401, 413, 422:
		default:
			t.Fatalf("status %d", status)
		}
		if status != 201 && len(rec.Publications())+len(rec.Commands()) > 0 {
			t.Fatalf("delivered with status %d", status)
		}
	})
}
