package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"

	"github.com/densecable/densecable/bench/internal/swarm"
)

// childArg is the hidden first argument that makes the binary a child.
const childArg = "__child"

// remoteWorker is a child process of this same binary holding a swarm.
type remoteWorker struct {
	cmd *exec.Cmd

	wmu sync.Mutex
	in  *bufio.Writer
	enc *json.Encoder
	raw io.WriteCloser

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan response
	dead    error
	exited  chan struct{}
}

// startRemoteWorker re-executes this binary as a child and initialises it.
func startRemoteWorker(init *childInit, results chan<- swarm.Result) (*remoteWorker, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(exe, childArg)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	w := &remoteWorker{cmd: cmd, raw: stdin, in: bufio.NewWriter(stdin), pending: map[uint64]chan response{}, exited: make(chan struct{})}
	w.enc = json.NewEncoder(w.in)
	go w.readLoop(stdout, results)
	if _, err := w.call(request{Op: "init", Init: init}); err != nil {
		_ = w.close()
		return nil, fmt.Errorf("init child: %w", err)
	}
	return w, nil
}

func (w *remoteWorker) readLoop(stdout io.Reader, results chan<- swarm.Result) {
	dec := json.NewDecoder(bufio.NewReaderSize(stdout, 64<<10))
	var err error
	for {
		var r response
		if err = dec.Decode(&r); err != nil {
			break
		}
		if r.Ev == "result" && r.Result != nil {
			select {
			case results <- *r.Result:
			default:
			}
			continue
		}
		w.mu.Lock()
		ch := w.pending[r.ID]
		delete(w.pending, r.ID)
		w.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
	if err == io.EOF {
		err = errors.New("child exited")
	}
	w.mu.Lock()
	w.dead = fmt.Errorf("child %d: %w", w.cmd.Process.Pid, err)
	for id, ch := range w.pending {
		ch <- response{ID: id, Err: w.dead.Error()}
		delete(w.pending, id)
	}
	w.mu.Unlock()
	_ = w.cmd.Wait()
	close(w.exited)
}

func (w *remoteWorker) call(req request) (response, error) {
	ch := make(chan response, 1)
	w.mu.Lock()
	if w.dead != nil {
		w.mu.Unlock()
		return response{}, w.dead
	}
	w.nextID++
	req.ID = w.nextID
	w.pending[req.ID] = ch
	w.mu.Unlock()

	w.wmu.Lock()
	err := w.enc.Encode(&req)
	if err == nil {
		err = w.in.Flush()
	}
	w.wmu.Unlock()
	if err != nil {
		w.mu.Lock()
		delete(w.pending, req.ID)
		w.mu.Unlock()
		return response{}, fmt.Errorf("send to child: %w", err)
	}
	r := <-ch
	return r, remoteErr(r.Err)
}

func (w *remoteWorker) open(n int, rate float64, maxPending int) error {
	_, err := w.call(request{Op: "open", N: n, Rate: rate, MaxPending: maxPending})
	return err
}

func (w *remoteWorker) perform(conn int, action, padding string) error {
	_, err := w.call(request{Op: "perform", Conn: conn, Action: action, Padding: padding})
	return err
}

func (w *remoteWorker) stats() (swarm.Stats, error) {
	r, err := w.call(request{Op: "stats"})
	if err != nil {
		return swarm.Stats{}, err
	}
	if r.Stats == nil {
		return swarm.Stats{}, errors.New("child sent no stats")
	}
	return *r.Stats, nil
}

func (w *remoteWorker) reset() error {
	_, err := w.call(request{Op: "reset"})
	return err
}

// close ends the child by closing its stdin (it closes its connections
// and exits) and waits for it.
func (w *remoteWorker) close() error {
	w.wmu.Lock()
	_ = w.raw.Close()
	w.wmu.Unlock()
	<-w.exited
	return nil
}

func (w *remoteWorker) pid() int { return w.cmd.Process.Pid }
