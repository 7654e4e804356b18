package sessions

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/densecable/densecable/frames"
)

// Sessions that connect with one URL share its bytes; every answer is the
// concatenation, whatever evicted what.
func TestURLCacheShares(t *testing.T) {
	c := newURLCache()
	a := c.requestURL(&frames.Request{Host: "example.com", URI: "/cable"}, false)
	b := c.requestURL(&frames.Request{Host: "example.com", URI: "/cable"}, false)
	if a != "http://example.com/cable" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Fatalf("got %q and %q, not one shared string", a, b)
	}
	if s := c.requestURL(&frames.Request{Host: "example.com", URI: "/cable"}, true); s != "https://example.com/cable" {
		t.Fatalf("tls: got %q", s)
	}
	for i := range 10 * urlSlots {
		for _, host := range []string{"h", "hh", "h.example"} {
			uri := fmt.Sprintf("/cable?t=%d", i%(3*urlSlots))
			want := "http://" + host + uri
			if got := c.requestURL(&frames.Request{Host: host, URI: uri}, false); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
			// The split point must not matter to the comparison.
			if got := c.get("http://", host+uri[:1], uri[1:]); got != want {
				t.Fatalf("split: got %q, want %q", got, want)
			}
		}
	}
}

func TestURLCacheNilNode(t *testing.T) {
	var c *urlCache
	if got := c.requestURL(&frames.Request{Host: "a", URI: "/b"}, false); got != "http://a/b" {
		t.Fatalf("got %q", got)
	}
}
