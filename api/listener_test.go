package api

import (
	"errors"
	"log/slog"
	"net"
	"syscall"
	"testing"
)

type flakyListener struct {
	net.Listener
	fails int
}

func (f *flakyListener) Accept() (net.Conn, error) {
	if f.fails > 0 {
		f.fails--
		return nil, &net.OpError{Op: "accept", Err: syscall.EMFILE}
	}
	return nil, net.ErrClosed
}

func TestRetryListenerSurvivesEMFILE(t *testing.T) {
	l := &RetryListener{Listener: &flakyListener{fails: 3}, Log: slog.New(slog.DiscardHandler)}
	_, err := l.Accept()
	if !errors.Is(err, net.ErrClosed) {
		t.Fatalf("want the listener's own closing error after the retries, got %v", err)
	}
	if l.Listener.(*flakyListener).fails != 0 {
		t.Fatal("EMFILE was not retried")
	}
}
