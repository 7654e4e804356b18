package wsframe

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDeflateRSV1(t *testing.T) {
	f, n, err := ParseDeflate([]byte{0xC1, 0x01, 'z'}, 256)
	if err != nil || n != 3 || !f.Compressed || f.Op != OpText {
		t.Fatalf("compressed text: %+v n=%d err=%v", f, n, err)
	}
	if f, _, err := ParseDeflate([]byte{0x81, 0x00}, 256); err != nil || f.Compressed {
		t.Fatalf("plain text: %+v err=%v", f, err)
	}
	for name, b := range map[string][]byte{
		"RSV1 on a continuation": {0xC0, 0x00},
		"RSV1 on a ping":         {0xC9, 0x00},
		"RSV2":                   {0xA1, 0x00},
		"RSV1+RSV3":              {0xD1, 0x00},
	} {
		if _, _, err := ParseDeflate(b, 256); !errors.Is(err, ErrReservedBits) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestRequestOffersExtensions(t *testing.T) {
	req := string(AppendRequest(nil, &Request{Host: "h", Path: "/", Extensions: "permessage-deflate"}, []byte("k")))
	if !strings.Contains(req, "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n") {
		t.Fatalf("request %q", req)
	}
}
