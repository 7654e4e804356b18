package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"--grpc", "", "--http", ":0", "--broadcast_mode", "async"})
	if err != nil || !o.pub.Async || o.grpcAddr != "" {
		t.Fatalf("%+v %v", o, err)
	}
	if _, err := parseFlags([]string{"--broadcast_mode", "later"}); err == nil {
		t.Fatal("bad mode accepted")
	}
	if _, err := parseFlags([]string{"--grpc", "", "--http", ""}); err == nil {
		t.Fatal("nothing to serve accepted")
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestRunServesHTTPRPCAndStops(t *testing.T) {
	addr := freePort(t)
	o, err := parseFlags([]string{"--grpc", freePort(t), "--http", addr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, o, slog.New(slog.NewTextHandler(io.Discard, nil))) }()

	var resp *http.Response
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err = http.Post("http://"+addr+"/connect", "application/json", strings.NewReader(`{}`))
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"status":1`) {
		t.Fatalf("connect answered %s", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
}
