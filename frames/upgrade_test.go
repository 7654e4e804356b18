package frames

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
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

// An endpoint that speaks only a sub-protocol (OCPP) refuses a client that
// offers none of its protocols with 400, and accepts one that does.
func TestUpgradeRequiredProtocol(t *testing.T) {
	opts := &UpgradeOptions{Protocols: []string{"ocpp1.6"}, RequireProtocol: true}
	head := strings.Replace(sampleHead, "actioncable-v1-ext-json, anycable-token.tok123, actioncable-v1-json", "ocpp2.0, ocpp1.6", 1)
	if req, _, err := Upgrade([]byte(head), opts); err != nil || req.Protocol != "ocpp1.6" {
		t.Fatalf("offered: protocol %q, err %v", req.Protocol, err)
	}
	for _, offered := range []string{"ocpp2.0", ""} {
		h := strings.Replace(sampleHead, "actioncable-v1-ext-json, anycable-token.tok123, actioncable-v1-json", offered, 1)
		if offered == "" {
			h = strings.Replace(sampleHead, "Sec-WebSocket-Protocol: actioncable-v1-ext-json, anycable-token.tok123, actioncable-v1-json\r\n", "", 1)
		}
		_, resp, err := Upgrade([]byte(h), opts)
		if err == nil || !strings.HasPrefix(string(resp), "HTTP/1.1 400") {
			t.Errorf("offered %q: want 400, got %v\n%s", offered, err, resp)
		}
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

// FuzzUpgrade checks an accepted handshake against net/http's request
// parser (the oracle) and RFC 6455: the head is a GET that net/http reads
// with the same URI and Host, it asks for a WebSocket upgrade with a
// 16-byte key, and the 101 answer carries the accept hash of that key and
// one of the server's protocols. A refused handshake gets an error response
// (4xx, or 505 for a bad HTTP version).
func FuzzUpgrade(f *testing.F) {
	f.Add([]byte(sampleHead))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte("GET /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n" +
		"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: x, actioncable-v1-json\r\n\r\n"))
	opts := &UpgradeOptions{Protocols: []string{"actioncable-v1-json"}, CheckOrigin: func(string) bool { return true }}
	f.Fuzz(func(t *testing.T, head []byte) {
		req, resp, err := Upgrade(head, opts)
		if err != nil {
			if len(resp) == 0 {
				return // nothing to answer: the head ended early
			}
			res, rerr := http.ReadResponse(bufio.NewReader(bytes.NewReader(resp)), nil)
			if rerr != nil || (res.StatusCode < 400 || res.StatusCode > 499) && res.StatusCode != 505 {
				t.Fatalf("%q refused (%v) with %q", head, err, resp)
			}
			return
		}
		res, rerr := http.ReadResponse(bufio.NewReader(bytes.NewReader(resp)), nil)
		if rerr != nil || res.StatusCode != 101 {
			t.Fatalf("%q: response %q: %v", head, resp, rerr)
		}
		if req.Protocol != "" && req.Protocol != "actioncable-v1-json" || res.Header.Get("Sec-WebSocket-Protocol") != req.Protocol {
			t.Fatalf("%q: protocol %q, response %q", head, req.Protocol, res.Header.Get("Sec-WebSocket-Protocol"))
		}
		hr, herr := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if herr != nil || bytes.Contains(head, []byte("\n ")) || bytes.Contains(head, []byte("\n\t")) {
			// gobwas is more lenient than net/http in ways that reach no
			// one but the sender: control bytes in header values, header
			// lines starting with a space (obsolete folding), an empty
			// header name, "HTTP/1.10", an empty request target. The checks
			// below need net/http's reading of the request, which joins a
			// folded line to the header before it.
			return
		}
		if hr.Method != "GET" || hr.RequestURI != req.URI || hr.Host != req.Host {
			t.Fatalf("%q: method %q uri %q host %q; upgraded with uri %q host %q", head, hr.Method, hr.RequestURI, hr.Host, req.URI, req.Host)
		}
		if !strings.EqualFold(hr.Header.Get("Upgrade"), "websocket") || hr.Header.Get("Sec-WebSocket-Version") != "13" {
			t.Fatalf("%q upgraded without the WebSocket headers", head)
		}
		key := hr.Header.Get("Sec-WebSocket-Key")
		// gobwas checks the key's length (24), not that it is base64 of 16
		// bytes: the accept hash covers the key as sent, so a client that
		// sent a bad key only fails its own check.
		if len(key) != 24 {
			t.Fatalf("%q upgraded with key %q", head, key)
		}
		sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		if got := res.Header.Get("Sec-WebSocket-Accept"); got != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Fatalf("%q: accept %q for key %q", head, got, key)
		}
	})
}

// Heads that net/http (the reference's server) refuses get 400 here too,
// where gobwas alone would upgrade them.
func TestUpgradeRejectsWhatNetHTTPRejects(t *testing.T) {
	for name, head := range map[string]string{
		"empty target":     strings.Replace(sampleHead, "GET /cable?pi=10&jid=abc HTTP/1.1", "GET  HTTP/1.1", 1),
		"key not 16 bytes": strings.Replace(sampleHead, "dGhlIHNhbXBsZSBub25jZQ==", "!!!!!!!!!!!!!!!!!!!!!!!!", 1),
		"key of 18 bytes":  strings.Replace(sampleHead, "dGhlIHNhbXBsZSBub25jZQ==", "AAAAAAAAAAAAAAAAAAAAAAAA", 1),
		"control byte":     strings.Replace(sampleHead, "Cookie: session=abc", "Cookie: session=a\x01bc", 1),
		"relative target":  strings.Replace(sampleHead, "GET /cable?pi=10&jid=abc HTTP/1.1", "GET cable HTTP/1.1", 1),
	} {
		_, resp, err := Upgrade([]byte(head), &UpgradeOptions{})
		if err == nil || !strings.HasPrefix(string(resp), "HTTP/1.1 400") {
			t.Errorf("%s: want 400, got %v\n%s", name, err, resp)
		}
	}
}
