package api

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func startHTTP(t *testing.T, to HTTPTimeouts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewHTTPServer(func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }, to)
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}

// closedWithin reads until the server closes the connection and fails if it
// does not within limit.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(limit))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open after %v", limit)
		}
		return
	}
}

// A head trickled a byte at a time is cut off at the read timeout: every
// byte does not restart it.
func TestHTTPServerCutsSlowloris(t *testing.T) {
	addr := startHTTP(t, HTTPTimeouts{Read: 500 * time.Millisecond, Write: time.Second, Idle: time.Minute})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	head := "POST /_broadcast HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 1000)
	start := time.Now()
	for i := 0; i < len(head); i++ {
		if _, err := c.Write([]byte{head[i]}); err != nil {
			break
		}
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := c.Read(make([]byte, 512)); err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				break // closed by the server
			}
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("a trickled head kept the connection for 10 s")
		}
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("cut off after %v, want about the 500 ms read timeout", el)
	}
}

// A keep-alive connection left idle is closed at the idle timeout.
func TestHTTPServerClosesIdleKeepAlive(t *testing.T) {
	addr := startHTTP(t, HTTPTimeouts{Read: time.Minute, Write: time.Second, Idle: 300 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("first request: %q %v", line, err)
	}
	closedWithin(t, c, 5*time.Second)
}

func TestDefaultHTTPTimeoutsAreSet(t *testing.T) {
	s := NewHTTPServer(nil, DefaultHTTPTimeouts)
	if s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Fatalf("unbounded: read %v write %v idle %v", s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
}
