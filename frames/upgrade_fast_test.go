package frames

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// The 101 for sampleHead, byte for byte (the RFC 6455 §1.3 key and accept).
func TestFastUpgradeGolden101(t *testing.T) {
	opts := &UpgradeOptions{
		Protocols:       []string{"actioncable-v1-json", "actioncable-v1-ext-json"},
		ResponseHeaders: map[string]string{"X-AnyCable-Version": "1.6.16"},
	}
	req, resp, ok := fastUpgrade([]byte(sampleHead), opts)
	if !ok {
		t.Fatal("the fast path declined a plain upgrade")
	}
	const want = "HTTP/1.1 101 Switching Protocols\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
		"Sec-WebSocket-Protocol: actioncable-v1-json\r\n" +
		"X-AnyCable-Version: 1.6.16\r\n" +
		"\r\n"
	if string(resp) != want {
		t.Errorf("101:\n%q\nwant\n%q", resp, want)
	}
	if cap(resp) != len(resp) {
		t.Errorf("response capacity %d for %d bytes: not sized exactly", cap(resp), len(resp))
	}
	wantReq := &Request{
		URI: "/cable?pi=10&jid=abc", Host: "example.com:8080",
		Headers: []Header{
			{Key: "origin", Value: "https://app.example.com"},
			{Key: "cookie", Value: "session=abc"},
			{Key: "x-request-id", Value: "req-1"},
		},
		Protocol: "actioncable-v1-json", Token: "tok123",
	}
	if !reflect.DeepEqual(req, wantReq) {
		t.Errorf("request %+v\nwant %+v", req, wantReq)
	}
	// And exactly what the general path answers.
	greq, gresp, err := generalUpgrade([]byte(sampleHead), opts)
	if err != nil || !bytes.Equal(gresp, resp) || !reflect.DeepEqual(greq, req) {
		t.Errorf("general path: %v\n%q\n%+v", err, gresp, greq)
	}
}

// The heads real clients send take the fast path (it is not dead code),
// and what it declines still gets the general path's answer.
func TestFastUpgradeTakesCommonHeads(t *testing.T) {
	opts := &UpgradeOptions{Protocols: []string{"actioncable-v1-json"}}
	for name, head := range map[string]string{
		"sample":      sampleHead,
		"no protocol": strings.Replace(sampleHead, "Sec-WebSocket-Protocol: actioncable-v1-ext-json, anycable-token.tok123, actioncable-v1-json\r\n", "", 1),
		"firefox":     strings.Replace(sampleHead, "Connection: Upgrade", "Connection: keep-alive, Upgrade", 1),
		"lower case":  strings.Replace(strings.Replace(sampleHead, "Host:", "host:", 1), "Upgrade: websocket", "upgrade: WebSocket", 1),
		"extensions":  strings.Replace(sampleHead, "Origin:", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nOrigin:", 1),
	} {
		if _, _, ok := fastUpgrade([]byte(head), opts); !ok {
			t.Errorf("%s: declined", name)
		}
	}
	for name, head := range map[string]string{
		"HTTP/1.0":    strings.Replace(sampleHead, "HTTP/1.1", "HTTP/1.0", 1),
		"no key":      strings.Replace(sampleHead, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 1),
		"short key":   strings.Replace(sampleHead, "dGhlIHNhbXBsZSBub25jZQ==", "dGhl", 1),
		"version 8":   strings.Replace(sampleHead, "Version: 13", "Version: 8", 1),
		"escaped uri": strings.Replace(sampleHead, "/cable?", "/ca%62le?", 1),
		"two hosts":   strings.Replace(sampleHead, "Origin:", "Host: other\r\nOrigin:", 1),
	} {
		if _, _, ok := fastUpgrade([]byte(head), opts); ok {
			t.Errorf("%s: taken by the fast path", name)
		}
	}
}

// FuzzFastUpgrade: whenever the fast path answers a head, the general
// path (gobwas/ws) accepts it too, with the same request and the same 101
// bytes; and the fast path never retains or changes the head.
func FuzzFastUpgrade(f *testing.F) {
	f.Add([]byte(sampleHead), uint8(0))
	f.Add([]byte(strings.Replace(sampleHead, "Connection: Upgrade", "Connection: keep-alive, Upgrade", 1)), uint8(1))
	f.Add([]byte(strings.Replace(sampleHead, "Origin:", "Sec-WebSocket-Extensions: permessage-deflate\r\nOrigin:", 1)), uint8(2))
	f.Add([]byte(strings.Replace(sampleHead, "Upgrade\r\n", "Upgrade\n", 1)), uint8(0))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: \r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n"), uint8(3))
	f.Fuzz(func(t *testing.T, head []byte, variant uint8) {
		opts := &UpgradeOptions{
			Protocols:       []string{"actioncable-v1-json", "actioncable-v1-ext-json"},
			ResponseHeaders: map[string]string{"X-AnyCable-Version": "1.6.16"},
			RequireProtocol: variant&1 != 0,
			Compression:     variant&2 != 0,
		}
		if variant&4 != 0 {
			opts.CheckOrigin = func(o string) bool { return strings.HasSuffix(o, ".example.com") }
		}
		orig := bytes.Clone(head)
		req, resp, ok := fastUpgrade(head, opts)
		if !bytes.Equal(head, orig) {
			t.Fatal("the head was modified")
		}
		if !ok {
			return
		}
		greq, gresp, err := generalUpgrade(orig, opts)
		if err != nil {
			t.Fatalf("fast path accepted what the general path refuses (%v):\n%q", err, orig)
		}
		if !bytes.Equal(resp, gresp) {
			t.Fatalf("101 differs:\nfast    %q\ngeneral %q", resp, gresp)
		}
		if greq.Headers == nil {
			greq.Headers = req.Headers[:0:0]
		}
		if req.Headers == nil {
			req.Headers = greq.Headers[:0:0]
		}
		if !reflect.DeepEqual(req, greq) {
			t.Fatalf("request differs:\nfast    %+v\ngeneral %+v", req, greq)
		}
	})
}

// FuzzQueryValue: QueryValue agrees with Query().Get.
func FuzzQueryValue(f *testing.F) {
	f.Add("/cable?pi=10&ptp=ms", "pi")
	f.Add("/cable?a=1&a=2&=3&&b", "")
	f.Add("/cable?p%69=1&pi=2", "pi")
	f.Add("/cable?x=1;pi=2&pi=+3", "pi")
	f.Fuzz(func(t *testing.T, uri, key string) {
		r := &Request{URI: uri}
		if got, want := r.QueryValue(key), r.Query().Get(key); got != want {
			t.Fatalf("QueryValue(%q) of %q = %q, Query().Get %q", key, uri, got, want)
		}
	})
}
