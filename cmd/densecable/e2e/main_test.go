// Package e2e drives the real densecable binary with the official
// JavaScript clients from npm under Node.js: @rails/actioncable,
// @anycable/core, an @anycable/serverless-js RPC application, and raw `ws`
// clients speaking the binary formats through js/codecs.js.
//
// TestMain builds ./cmd/densecable and ./bench/app once (with -race when
// the tests run with it, so a data race in the server fails the test that
// provoked it); each test starts
// the processes it needs on free 127.0.0.1 ports and stops them by PID when
// it ends. The Node scripts live in js/ and report over stdio (see
// js/lib.js). Without node or js/node_modules the tests fail, never skip:
// `make test` installs the packages (`make node-deps`, i.e. `npm ci` in js/).
//
// The multi-node tests (cluster_test.go, redis_restart_test.go,
// ext_bad_input_test.go) also need the machine's Redis on 127.0.0.1:6379,
// NATS with JetStream on 127.0.0.1:4222 and redis-server on PATH (for a
// throwaway Redis they kill and restart); without them they fail, never
// skip. They drive @anycable/core through js/cable_agent.mjs.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binaries are built once by TestMain and only read afterwards.
var binaries struct {
	densecable, benchapp string
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "densecable-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binaries.densecable = filepath.Join(dir, "densecable")
	binaries.benchapp = filepath.Join(dir, "densecable-benchapp")
	for pkg, out := range map[string]string{
		"github.com/densecable/densecable/cmd/densecable": binaries.densecable,
		"github.com/densecable/densecable/bench/app":      binaries.benchapp,
	} {
		args := []string{"build", "-o", out}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: go build %s: %v\n", pkg, err)
			return 1
		}
	}
	return m.Run()
}
