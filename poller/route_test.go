package poller

import "testing"

func TestRequestLine(t *testing.T) {
	for _, c := range []struct {
		head, method, path string
		ok                 bool
	}{
		{"GET /cable?jid=1 HTTP/1.1\r\nHost: x\r\n\r\n", "GET", "/cable", true},
		{"POST /lp HTTP/1.1\r\n\r\n", "POST", "/lp", true},
		{"BREW /pot HTTP/1.0\r\n\r\n", "BREW", "/pot", true},
		{"GET ?q HTTP/1.1\r\n\r\n", "GET", "", true},
		{"GET /x HTTP/2\r\n\r\n", "", "", false},
		{"GET\r\n\r\n", "", "", false},
		{" /x HTTP/1.1\r\n\r\n", "", "", false},
	} {
		m, p, ok := requestLine([]byte(c.head))
		if m != c.method || p != c.path || ok != c.ok {
			t.Errorf("%q: %q %q %v, want %q %q %v", c.head, m, p, ok, c.method, c.path, c.ok)
		}
	}
	// Routing a request allocates nothing (a string per request can keep
	// a tiny-allocator block alive beside a connection's strings).
	head := []byte("GET /events?stream=a HTTP/1.1\r\n\r\n")
	if n := testing.AllocsPerRun(100, func() { _, _, _ = requestLine(head) }); n != 0 {
		t.Fatalf("%v allocations per request line", n)
	}
}

// FuzzRequestLine: every head parseRequestHead accepts is routed by its
// method and path (the part of the target before the query).
func FuzzRequestLine(f *testing.F) {
	f.Add([]byte("GET /cable?jid=1 HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("POST /lp HTTP/1.0\r\nContent-Length: 2\r\n\r\n"))
	f.Add([]byte("OPTIONS * HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		m, p, ok := requestLine(head)
		req, err := parseRequestHead(head)
		if err != nil {
			return
		}
		if !ok || m != req.Method || p != req.Path() {
			t.Fatalf("%q: routed as %q %q %v, parsed as %q %q", head, m, p, ok, req.Method, req.Path())
		}
	})
}
