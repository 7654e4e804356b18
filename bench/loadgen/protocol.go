package main

import (
	"github.com/densecable/densecable/bench/internal/swarm"
)

// The parent drives child processes with JSON lines on the child's stdin
// and reads answers and events from its stdout.

// request is one parent → child command.
type request struct {
	ID         uint64     `json:"id"`
	Op         string     `json:"op"` // init, open, perform, stats, reset
	Init       *childInit `json:"init,omitempty"`
	N          int        `json:"n,omitempty"`
	Rate       float64    `json:"rate,omitempty"`
	MaxPending int        `json:"max_pending,omitempty"`
	Conn       int        `json:"conn,omitempty"`
	Action     string     `json:"action,omitempty"`
	Padding    string     `json:"padding,omitempty"`
}

// childInit is the swarm configuration a child builds.
type childInit struct {
	Server     string   `json:"server"`
	Host       string   `json:"host"`
	Path       string   `json:"path"`
	Origin     string   `json:"origin"`
	Encoding   string   `json:"encoding"`
	Identifier string   `json:"identifier"`
	SourceIPs  []string `json:"source_ips"`
	Base       int      `json:"base"`
	TimeoutMS  int64    `json:"timeout_ms"`
	LoopUS     int64    `json:"loop_us,omitempty"`
	Deflate    bool     `json:"deflate,omitempty"`
	DeflateCmd bool     `json:"deflate_commands,omitempty"`
}

// response is one child → parent line: an answer (ID set) or an event.
type response struct {
	ID     uint64        `json:"id,omitempty"`
	Ev     string        `json:"ev,omitempty"` // "result"
	Err    string        `json:"err,omitempty"`
	Stats  *swarm.Stats  `json:"stats,omitempty"`
	Result *swarm.Result `json:"result,omitempty"`
}
