// Command densecable-floor is the one-write floor of broadcast delivery: a
// minimal Action Cable (JSON) server that does nothing per delivery but one
// write(2) of a frame built once per broadcast. bench/floor.sh runs it and
// densecable alternately under the same load generator, so densecable's CPU
// per delivery is compared with the cost of the system call alone.
//
// It speaks just enough of the protocol for densecable-loadgen's broadcast
// scenario: the upgrade (actioncable-v1-json), the welcome, confirmation
// of any subscription, and the BenchmarkChannel "broadcast" action (the
// data goes to every subscriber, then broadcastResult to the sender). There
// is no RPC, no pings, no limits: it is a measuring stick, not a server.
//
//	densecable-floor --addr 127.0.0.1:29280
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"golang.org/x/sys/unix"

	"github.com/densecable/densecable/encoders/jsonkit"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:29280", "listen address (the WebSocket endpoint is any path; /health answers 200)")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "densecable-floor:", err)
		os.Exit(1)
	}
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
		<-ch
		_ = ln.Close()
	}()
	newServer().run(ln) // returns when the listener is closed
}

func newServer() *server {
	return &server{conns: map[*conn]struct{}{}}
}

// run accepts until ln is closed.
func (s *server) run(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go s.serve(c.(*net.TCPConn))
	}
}

type server struct {
	// mu guards conns and serialises broadcasts: one writer, like
	// densecable's per-stream gate.
	mu    sync.Mutex
	conns map[*conn]struct{}
	list  []*conn // snapshot of conns, rebuilt when dirty
	dirty bool
}

type conn struct {
	nc *net.TCPConn
	fd int
	wm sync.Mutex // one frame at a time on the socket
}

// write sends one complete frame: one write(2) when the socket takes it
// all (always, at these sizes, for a reading client), else the rest
// blocks through the Go poller.
func (c *conn) write(frame []byte) {
	c.wm.Lock()
	defer c.wm.Unlock()
	n, err := unix.Write(c.fd, frame)
	if n == len(frame) {
		return
	}
	if n < 0 {
		n = 0
	}
	if err != nil && !errors.Is(err, unix.EAGAIN) {
		_ = c.nc.Close()
		return
	}
	_, _ = c.nc.Write(frame[n:])
}

func (s *server) serve(nc *net.TCPConn) {
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 1024)
	if peek, _ := br.Peek(12); strings.HasPrefix(string(peek), "GET /health ") {
		_, _ = nc.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"))
		return
	}
	u := ws.Upgrader{Protocol: func(p []byte) bool { return string(p) == "actioncable-v1-json" }}
	if _, err := u.Upgrade(struct {
		*bufio.Reader
		*net.TCPConn
	}{br, nc}); err != nil {
		return
	}
	raw, err := nc.SyscallConn()
	if err != nil {
		return
	}
	c := &conn{nc: nc}
	_ = raw.Control(func(fd uintptr) { c.fd = int(fd) })
	c.write(textFrame([]byte(`{"type":"welcome"}`)))
	defer s.remove(c)
	rw := struct {
		*bufio.Reader
		*net.TCPConn
	}{br, nc}
	for {
		msg, op, err := wsutil.ReadClientData(rw)
		if err != nil || op == ws.OpClose {
			return
		}
		var cmd struct{ Command, Identifier, Data string }
		if json.Unmarshal(msg, &cmd) != nil {
			continue
		}
		switch cmd.Command {
		case "subscribe":
			s.add(c)
			c.write(textFrame(reply(`{"type":"confirm_subscription","identifier":`, cmd.Identifier, "}")))
		case "message":
			var d struct {
				Action  string          `json:"action"`
				Payload json.RawMessage `json:"payload"`
			}
			if json.Unmarshal([]byte(cmd.Data), &d) != nil || d.Action != "broadcast" {
				continue
			}
			s.broadcast(textFrame(reply(`{"identifier":`, cmd.Identifier, `,"message":`+cmd.Data+"}")))
			result := `{"action":"broadcastResult","payload":` + string(d.Payload) + "}"
			c.write(textFrame(reply(`{"identifier":`, cmd.Identifier, `,"message":`+result+"}")))
		}
	}
}

// broadcast writes frame, built once, to every subscriber: one write(2)
// per delivery and nothing else.
func (s *server) broadcast(frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dirty {
		s.list = s.list[:0]
		for c := range s.conns {
			s.list = append(s.list, c)
		}
		s.dirty = false
	}
	for _, c := range s.list {
		c.write(frame)
	}
}

func (s *server) add(c *conn) {
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.dirty = true
	s.mu.Unlock()
}

func (s *server) remove(c *conn) {
	s.mu.Lock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		s.dirty = true
	}
	s.mu.Unlock()
}

func reply(head, identifier, tail string) []byte {
	b := append([]byte(head), jsonkit.AppendString(nil, identifier)...)
	return append(b, tail...)
}

// textFrame is an unmasked server text frame (RFC 6455 §5.2).
func textFrame(payload []byte) []byte {
	n := len(payload)
	b := make([]byte, 0, n+10)
	switch {
	case n < 126:
		b = append(b, 0x81, byte(n))
	case n < 1<<16:
		b = append(b, 0x81, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x81, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, payload...)
}
