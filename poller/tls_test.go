package poller

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/frames"
)

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestTLSListener(t *testing.T) {
	h := &testHandler{msgs: make(chan string, 10), opened: make(chan *Conn, 10)}
	httpSrv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("over tls") }}
	s, err := New("epoll", Options{Addr: "127.0.0.1:0", TLS: &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}}, h, httpSrv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	}()
	d := ws.Dialer{TLSConfig: &tls.Config{InsecureSkipVerify: true}}
	conn, br, _, err := d.Dial(context.Background(), "wss://"+s.Addr().String()+"/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := <-h.opened
	if err := ws.WriteFrame(conn, ws.MaskFrame(ws.NewTextFrame([]byte("hello")))); err != nil {
		t.Fatal(err)
	}
	if got := <-h.msgs; got != "hello" {
		t.Fatalf("got %q", got)
	}
	if err := c.Write(frames.AppendFrame(nil, ws.OpText, []byte("back"))); err != nil {
		t.Fatal(err)
	}
	var r io.Reader = conn
	if br != nil {
		r = br
	}
	f, err := ws.ReadFrame(r)
	if err != nil || string(f.Payload) != "back" {
		t.Fatalf("read %q %v", f.Payload, err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := client.Get("https://" + s.Addr().String() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "over tls" {
		t.Fatalf("https body %q", body)
	}
}
