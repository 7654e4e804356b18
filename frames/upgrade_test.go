package frames

import (
	"strings"
	"testing"
)

const sampleHead = "GET /cable?pi=10&jid=abc HTTP/1.1\r\n" +
	"Host: example.com:8080\r\n" +
	"Upgrade: websocket\r\n" +
	"Connection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Sec-WebSocket-Protocol: actioncable-v1-ext-json, anycable-token.tok123, actioncable-v1-json\r\n" +
	"Origin: https://app.example.com\r\n" +
	"Cookie: session=abc\r\n" +
	"X-Request-ID: req-1\r\n\r\n"

func TestUpgradeSelectsServerPreferredProtocol(t *testing.T) {
	req, resp, err := Upgrade([]byte(sampleHead), &UpgradeOptions{
		Protocols:       []string{"actioncable-v1-json", "actioncable-v1-ext-json"},
		ResponseHeaders: map[string]string{"X-AnyCable-Version": "1.6.16"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := string(resp)
	for _, want := range []string{
		"HTTP/1.1 101 Switching Protocols\r\n",
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
		"Sec-WebSocket-Protocol: actioncable-v1-json\r\n",
		"X-AnyCable-Version: 1.6.16\r\n",
	} {
		if !strings.Contains(r, want) {
			t.Errorf("response lacks %q:\n%s", want, r)
		}
	}
	if req.Protocol != "actioncable-v1-json" || req.Token != "tok123" {
		t.Errorf("protocol %q token %q", req.Protocol, req.Token)
	}
	if req.URI != "/cable?pi=10&jid=abc" || req.Host != "example.com:8080" || req.Path() != "/cable" {
		t.Errorf("uri %q host %q", req.URI, req.Host)
	}
	if req.Get("cookie") != "session=abc" || req.Get("x-request-id") != "req-1" || req.Query().Get("pi") != "10" {
		t.Errorf("headers %+v", req.Headers)
	}
}

func TestUpgradeWithoutKnownProtocol(t *testing.T) {
	head := strings.Replace(sampleHead, "actioncable-v1-ext-json, anycable-token.tok123, actioncable-v1-json", "mqtt", 1)
	req, resp, err := Upgrade([]byte(head), &UpgradeOptions{Protocols: []string{"actioncable-v1-json"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(resp), "Sec-WebSocket-Protocol") || req.Protocol != "" {
		t.Fatalf("no protocol must be selected:\n%s", resp)
	}
}

func TestUpgradeRejectsOrigin(t *testing.T) {
	_, resp, err := Upgrade([]byte(sampleHead), &UpgradeOptions{
		CheckOrigin: func(o string) bool { return o == "https://other.com" },
	})
	if err == nil || !strings.HasPrefix(string(resp), "HTTP/1.1 403") {
		t.Fatalf("want 403, got %v\n%s", err, resp)
	}
}

func TestUpgradeRejectsMissingKey(t *testing.T) {
	head := strings.Replace(sampleHead, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", 1)
	_, resp, err := Upgrade([]byte(head), &UpgradeOptions{})
	if err == nil || !strings.HasPrefix(string(resp), "HTTP/1.1 400") {
		t.Fatalf("want 400, got %v\n%s", err, resp)
	}
}

func FuzzUpgrade(f *testing.F) {
	f.Add([]byte(sampleHead))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		_, _, _ = Upgrade(head, &UpgradeOptions{Protocols: []string{"actioncable-v1-json"}, CheckOrigin: func(string) bool { return true }})
	})
}
