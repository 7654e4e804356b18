package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/densecable/densecable/bench/internal/swarm"
)

// childMain serves the parent's requests until stdin closes.
func childMain() error {
	raiseNoFile()
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	enc := json.NewEncoder(out)
	var mu sync.Mutex
	emit := func(r *response) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(r)
		_ = out.Flush()
	}
	dec := json.NewDecoder(bufio.NewReader(os.Stdin))
	var sw *swarm.Swarm
	defer func() {
		if sw != nil {
			_ = sw.Close()
		}
	}()
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("child: read request: %w", err)
		}
		resp := response{ID: req.ID}
		var err error
		switch {
		case req.Op == "init" && sw == nil && req.Init != nil:
			var cfg swarm.Config
			cfg, err = swarmConfig(req.Init, func(r swarm.Result) {
				emit(&response{Ev: "result", Result: &r})
			})
			if err == nil {
				sw, err = swarm.New(cfg)
			}
		case sw == nil:
			err = errors.New("child not initialised")
		case req.Op == "open":
			err = sw.Open(req.N, req.Rate, req.MaxPending)
		case req.Op == "perform":
			err = sw.Perform(req.Conn, req.Action, req.Padding)
		case req.Op == "stats":
			var st swarm.Stats
			st, err = sw.Stats()
			resp.Stats = &st
		case req.Op == "reset":
			err = sw.ResetMeasurements()
		default:
			err = fmt.Errorf("unknown op %q", req.Op)
		}
		if err != nil {
			resp.Err = err.Error()
		}
		emit(&resp)
	}
}
