package poller

import (
	"encoding/binary"
	"errors"
	"net"
	"testing"

	"github.com/gobwas/ws"

	"github.com/densecable/densecable/frames"
)

func TestNotHTTP(t *testing.T) {
	for _, ok := range []string{"", "G", "GET", "GET ", "GET /", "GET /a?b HTTP/1", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\nHost: x\r\n", "M-SEARCH * HTTP/1.0\r\n"} {
		if notHTTP([]byte(ok)) {
			t.Errorf("%q rejected", ok)
		}
	}
	for _, bad := range []string{"\x16", " GET", "GET\t/", "GET /a\x01", "GET / X", "GET / HTTP/1.1x", "GET / HTTP/2", "GET / HTTP/1.x", "GET / HTTP/1.1\n", "GET / HTTP/1.1\rX", "\r\nGET"} {
		if !notHTTP([]byte(bad)) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func closePayload(code uint16) []byte {
	return binary.BigEndian.AppendUint16(nil, code)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

type opRecv struct{ ops chan ws.OpCode }

func (r opRecv) OnMessage(op ws.OpCode, _ []byte) { r.ops <- op }
func (r opRecv) OnClose()                         {}

type opHandler struct {
	testHandler
	dataOp ws.OpCode
	ops    chan ws.OpCode
}

func (h *opHandler) Open(c *Conn, _ *frames.Request) Receiver {
	c.SetDataOpCode(h.dataOp)
	return opRecv{h.ops}
}
