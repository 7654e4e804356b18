package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/densecable/densecable/bench/internal/cableproto"
	"github.com/densecable/densecable/bench/internal/swarm"
	"github.com/densecable/densecable/bench/internal/wsframe"
)

// worker holds a share of the connections: in this process or in a child.
type worker interface {
	open(n int, rate float64, maxPending int) error
	perform(conn int, action, padding string) error
	stats() (swarm.Stats, error)
	reset() error
	close() error
	pid() int
}

// swarmConfig turns a childInit into a swarm.Config.
func swarmConfig(in *childInit, onResult func(swarm.Result)) (swarm.Config, error) {
	server, err := netip.ParseAddrPort(in.Server)
	if err != nil {
		return swarm.Config{}, fmt.Errorf("server address: %w", err)
	}
	codec, err := cableproto.ByName(in.Encoding)
	if err != nil {
		return swarm.Config{}, err
	}
	cfg := swarm.Config{
		Server:       server,
		Request:      wsframe.Request{Host: in.Host, Path: in.Path, Origin: in.Origin},
		Codec:        codec,
		Identifier:   in.Identifier,
		Base:         in.Base,
		Timeout:      time.Duration(in.TimeoutMS) * time.Millisecond,
		OnResult:     onResult,
		LoopInterval: time.Duration(in.LoopUS) * time.Microsecond,
		Deflate:      in.Deflate,
	}
	cfg.DeflateCommands = in.DeflateCmd
	for _, s := range in.SourceIPs {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return swarm.Config{}, fmt.Errorf("source address: %w", err)
		}
		cfg.SourceIPs = append(cfg.SourceIPs, ip)
	}
	return cfg, nil
}

// localWorker runs a swarm in this process.
type localWorker struct{ sw *swarm.Swarm }

func newLocalWorker(in *childInit, results chan<- swarm.Result) (*localWorker, error) {
	cfg, err := swarmConfig(in, func(r swarm.Result) {
		select {
		case results <- r:
		default: // nobody is waiting for results now; never block the loop
		}
	})
	if err != nil {
		return nil, err
	}
	sw, err := swarm.New(cfg)
	if err != nil {
		return nil, err
	}
	return &localWorker{sw}, nil
}

func (w *localWorker) open(n int, rate float64, maxPending int) error {
	return w.sw.Open(n, rate, maxPending)
}
func (w *localWorker) perform(conn int, action, padding string) error {
	return w.sw.Perform(conn, action, padding)
}
func (w *localWorker) stats() (swarm.Stats, error) { return w.sw.Stats() }
func (w *localWorker) reset() error                { return w.sw.ResetMeasurements() }
func (w *localWorker) close() error                { return w.sw.Close() }
func (w *localWorker) pid() int                    { return os.Getpid() }

// errNotReady travels between processes as text; map it back.
func remoteErr(s string) error {
	switch s {
	case "":
		return nil
	case swarm.ErrNotReady.Error():
		return swarm.ErrNotReady
	}
	return errors.New(s)
}
