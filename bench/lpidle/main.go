// Command densecable-lpidle measures idle long-poll sessions: it opens N
// sessions on a densecable started with --poll, keeps one request held per
// session (re-polling whenever one is answered, as a client does), and
// reports the server's RSS per session, its goroutines and the request
// rate the held polls cost.
//
//	densecable-lpidle --addr 127.0.0.1:8080 --n 10000 --hold 16s --server-pid PID \
//	    --goroutines metrics:http://127.0.0.1:8080/metrics
//
// The client side is one goroutine per session (this is the generator, not
// the server under test).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densecable/densecable/bench/internal/procstat"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	path := flag.String("path", "/lp", "long-poll path")
	n := flag.Int("n", 10000, "sessions")
	parallel := flag.Int("parallel", 200, "sessions opened at once")
	hold := flag.Duration("hold", 16*time.Second, "how long to measure with every session idle")
	pid := flag.Int("server-pid", 0, "server process to sample (/proc)")
	gspec := flag.String("goroutines", "none", "goroutine source (procstat: metrics:<url>, debug:<url>, threads)")
	flag.Parse()
	if err := run(*addr, *path, *n, *parallel, *hold, *pid, *gspec); err != nil {
		fmt.Fprintln(os.Stderr, "lpidle:", err)
		os.Exit(1)
	}
}

type client struct {
	c  net.Conn
	br *bufio.Reader
	id string
}

var answered atomic.Int64 // responses to held polls

func (cl *client) post(addr, path string) (int, error) {
	req := "POST " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: 0\r\n"
	if cl.id != "" {
		req += "X-Anycable-Poll-ID: " + cl.id + "\r\n"
	}
	if _, err := io.WriteString(cl.c, req+"\r\n"); err != nil {
		return 0, err
	}
	res, err := http.ReadResponse(cl.br, nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if id := res.Header.Get("X-Anycable-Poll-ID"); id != "" {
		cl.id = id
	}
	return res.StatusCode, nil
}

func run(addr, path string, n, parallel int, hold time.Duration, pid int, gspec string) error {
	gsrc, err := procstat.ParseSource(gspec, pid, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	sample := func() (procstat.Sample, int) {
		var s procstat.Sample
		if pid > 0 {
			s, _ = procstat.Read(pid)
		}
		g := -1
		if gsrc != nil {
			g, _ = gsrc.Goroutines(context.Background())
		}
		return s, g
	}
	before, gBefore := sample()

	var wg sync.WaitGroup
	var failed atomic.Int64
	ready := make(chan struct{}, n)
	sem := make(chan struct{}, parallel)
	stop := make(chan struct{})
	start := time.Now()
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				failed.Add(1)
				<-sem
				return
			}
			defer c.Close()
			cl := &client{c: c, br: bufio.NewReaderSize(c, 512)}
			st, err := cl.post(addr, path) // open: welcome + poll id
			<-sem
			if err != nil || st != 200 || cl.id == "" {
				failed.Add(1)
				return
			}
			ready <- struct{}{}
			for { // one held poll at a time, like a client
				st, err := cl.post(addr, path)
				select {
				case <-stop:
					return
				default:
				}
				if err != nil || st != 200 {
					if !errors.Is(err, net.ErrClosed) {
						failed.Add(1)
					}
					return
				}
				answered.Add(1)
			}
		}()
	}
	for i := 0; i < n-int(failed.Load()); i++ {
		select {
		case <-ready:
		case <-time.After(60 * time.Second):
			return fmt.Errorf("only %d of %d sessions opened (%d failed)", i, n, failed.Load())
		}
	}
	opened := time.Since(start)
	time.Sleep(2 * time.Second) // every session's second request is held now
	answered.Store(0)
	t0 := time.Now()
	time.Sleep(hold)
	rate := float64(answered.Load()) / time.Since(t0).Seconds()
	after, gAfter := sample()
	close(stop)

	ok := n - int(failed.Load())
	fmt.Printf("sessions: %d (failed %d), opened in %v\n", ok, failed.Load(), opened.Round(time.Millisecond))
	if pid > 0 && ok > 0 {
		fmt.Printf("server RSS: %.1f MB before, %.1f MB with every session idle: %.2f KB per session\n",
			mb(before.RSS), mb(after.RSS), float64(after.RSS-before.RSS)/float64(ok)/1024)
	}
	fmt.Printf("goroutines: %d before, %d with %d idle sessions\n", gBefore, gAfter, ok)
	fmt.Printf("held polls answered: %.0f requests/s over %v (%d sessions)\n", rate, hold, ok)
	return nil
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
