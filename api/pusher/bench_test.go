package pusher

import (
	"testing"
)

// BenchmarkTrigger: one signed POST /events to two channels, through the
// handler (signature check, body_md5, parse, two publications).
func BenchmarkTrigger(b *testing.B) {
	h, rec, _ := newTestAPI()
	body := `{"name":"my-event","channels":["a","private-b"],"data":"{\"x\":1}","socket_id":"123.456"}`
	uri := signedURL("POST", "/apps/42/events", nil, body, testCreds, testNow)
	b.ReportAllocs()
	for b.Loop() {
		if code, _ := do(h, "POST", uri, body); code != 200 {
			b.Fatal(code)
		}
		rec.pubs = rec.pubs[:0]
	}
}
