// Command densecable is a drop-in replacement for the AnyCable real-time
// server (anycable-go): same flags, environment variables, config file, wire
// protocols and RPC contract, on an epoll event loop.
//
// The server itself is the importable package cmd/server (so that another
// Go program can embed it, see docs/library.md); this command only runs it.
// Reading order for newcomers: cmd/server (cli.go: configuration, logging;
// app.go: wiring of RPC client, fanout hub, session node, poller, HTTP,
// broadcasters) → poller (sockets) → frames (WebSocket) → sessions (Action
// Cable) → fanout (broadcasts).
package main

import (
	"os"

	"github.com/densecable/densecable/cmd/server"
)

func main() {
	os.Exit(server.Main(os.Args[1:]))
}
