package poller

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/densecable/densecable/frames"
)

func TestParseRequestHead(t *testing.T) {
	r, err := parseRequestHead([]byte("POST /events?stream=a%20b HTTP/1.1\r\nHost: h:8080\r\nContent-Length: 12\r\nCookie: a=1\r\nConnection: keep-alive, Upgrade\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "POST" || r.URI != "/events?stream=a%20b" || r.Host != "h:8080" || r.contentLength != 12 || r.Close || r.Get("cookie") != "a=1" || r.Minor != 1 {
		t.Fatalf("%+v", r)
	}
	if r.Query().Get("stream") != "a b" {
		t.Fatalf("query %v", r.Query())
	}
	for _, bad := range []string{
		"GET /x HTTP/2.0\r\n\r\n",
		"GET x HTTP/1.1\r\n\r\n",
		"GET /x HTTP/1.1\r\nNo colon\r\n\r\n",
		"GET /x HTTP/1.1\r\nA: b\x01\r\n\r\n",
		"GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"G(T /x HTTP/1.1\r\n\r\n",
	} {
		if _, err := parseRequestHead([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseRequestHead checks the head parser against net/http's: a head
// both accept has the same method, target, Content-Length and header
// values; and every header kept came from a line of the input (bounded).
func FuzzParseRequestHead(f *testing.F) {
	f.Add([]byte("GET /events?stream=x HTTP/1.1\r\nHost: a\r\nLast-Event-ID: 1/e/s\r\n\r\n"))
	f.Add([]byte("POST /lp HTTP/1.0\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n"))
	f.Add([]byte("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		if !bytes.HasSuffix(head, headEnd) {
			head = append(head, headEnd...)
		}
		r, err := parseRequestHead(head)
		if err != nil {
			return
		}
		if len(r.Headers) > bytes.Count(head, []byte("\r\n")) {
			t.Fatalf("%d headers from %d lines", len(r.Headers), bytes.Count(head, []byte("\r\n")))
		}
		ref, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			return // net/http is stricter on some fields (Host, versions)
		}
		if ref.Method != r.Method || ref.RequestURI != r.URI {
			t.Fatalf("request line: ours %q %q, net/http %q %q", r.Method, r.URI, ref.Method, ref.RequestURI)
		}
		if !r.chunked && ref.ContentLength >= 0 && int64(r.contentLength) != ref.ContentLength && !(r.contentLength == -1 && ref.ContentLength == 0) {
			t.Fatalf("content-length: ours %d, net/http %d", r.contentLength, ref.ContentLength)
		}
		for _, h := range r.Headers {
			if h.Key == "host" || h.Key == "content-length" || h.Key == "transfer-encoding" {
				continue // net/http moves these out of Header
			}
			vals := ref.Header.Values(h.Key)
			found := false
			for _, v := range vals {
				if strings.TrimSpace(v) == h.Value {
					found = true
				}
			}
			if !found {
				t.Fatalf("header %q = %q, net/http has %q", h.Key, h.Value, vals)
			}
		}
	})
}

// frames.PlainTarget accepts only targets url.ParseRequestURI accepts.
func FuzzPlainPath(f *testing.F) {
	f.Add([]byte("/lp"))
	f.Add([]byte("/events?stream=a&x=1"))
	f.Add([]byte("//a/./../b?"))
	f.Fuzz(func(t *testing.T, uri []byte) {
		if !frames.PlainTarget(uri) {
			return
		}
		if _, err := url.ParseRequestURI(string(uri)); err != nil {
			t.Fatalf("PlainTarget accepted %q, url.ParseRequestURI refuses it: %v", uri, err)
		}
	})
}
