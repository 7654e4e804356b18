package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jsDir holds the Node scripts and their package.json.
const jsDir = "js"

// requireNode fails the test when Node.js or the npm packages are missing:
// a skipped end-to-end test would print ok for a feature nobody checked.
// `make test` runs `npm ci` in js/ first.
func requireNode(t *testing.T) {
	t.Helper()
	problem := ""
	if _, err := exec.LookPath("node"); err != nil {
		problem = "node is not on PATH"
	} else if v := nodeMajor(); v < 20 {
		problem = fmt.Sprintf("node is version %d, the scripts need Node.js 20 or later", v)
	} else if _, err := os.Stat(filepath.Join(jsDir, "node_modules", "@rails", "actioncable")); err != nil {
		problem = "cmd/densecable/e2e/js/node_modules is missing (`make node-deps`, or `npm ci` in that folder)"
	}
	if problem == "" {
		return
	}
	t.Fatalf("end-to-end test cannot run: %s", problem)
}

// nodeMajor returns the major version of the node on PATH (0 if unknown).
func nodeMajor() int {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return 0
	}
	major, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".")
	v, _ := strconv.Atoi(major)
	return v
}

// event is one JSON line a script printed: {"event": name, ...}.
type event map[string]any

func (e event) name() string { s, _ := e["event"].(string); return s }

// nodeScript is a running Node script; see js/lib.js for its protocol.
type nodeScript struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan event // closed when stdout ends
	stderr *syncBuffer
	lines  *syncBuffer // every stdout line, for failure reports
	cancel context.CancelFunc
}

// startNode runs `node <script> <args...>` in js/ with a hard timeout; the
// process is killed by PID when the test ends.
func startNode(t *testing.T, timeout time.Duration, script string, args ...string) *nodeScript {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	n := &nodeScript{t: t, name: script, events: make(chan event, 256), stderr: &syncBuffer{}, lines: &syncBuffer{}, cancel: cancel}
	n.cmd = exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	n.cmd.Dir = jsDir
	n.cmd.Env = childEnv()
	n.cmd.Stderr = n.stderr
	n.cmd.WaitDelay = 2 * time.Second
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if n.stdin, err = n.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start node %s: %v", script, err)
	}
	go n.read(stdout)
	t.Cleanup(func() {
		cancel() // kills the process if it is still running
		_ = n.cmd.Wait()
		if t.Failed() || testing.Verbose() {
			t.Logf("--- node %s stdout:\n%s--- stderr:\n%s", script, n.lines.String(), n.stderr.String())
		}
	})
	return n
}

func (n *nodeScript) read(stdout io.Reader) {
	defer close(n.events)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		fmt.Fprintf(n.lines, "%s\n", line)
		var e event
		if json.Unmarshal(line, &e) != nil || e.name() == "" {
			e = event{"event": "noise", "line": string(line)}
		}
		n.events <- e
	}
}

// awaitTimeout bounds how long a test waits for one event of a script.
const awaitTimeout = 30 * time.Second

// await returns the next event called name. A script error, the script
// ending first, or awaitTimeout passing fails the test.
func (n *nodeScript) await(name string) event {
	n.t.Helper()
	timeout := time.NewTimer(awaitTimeout)
	defer timeout.Stop()
	for {
		select {
		case e, ok := <-n.events:
			if !ok {
				_ = n.cmd.Wait()
				n.t.Fatalf("node %s exited (%v) before %q", n.name, n.cmd.ProcessState, name)
			}
			switch e.name() {
			case name:
				return e
			case "error":
				n.t.Fatalf("node %s failed: %v", n.name, e["message"])
			case "done":
				n.t.Fatalf("node %s finished before %q", n.name, name)
			}
		case <-timeout.C:
			n.t.Fatalf("node %s: no %q event within %s", n.name, name, awaitTimeout)
		}
	}
}

// send writes one line to the script's stdin.
func (n *nodeScript) send(line string) {
	n.t.Helper()
	if _, err := io.WriteString(n.stdin, line+"\n"); err != nil {
		n.t.Fatalf("write to node %s: %v", n.name, err)
	}
}

// finish waits for the "done" event and a zero exit status, and returns the
// done event.
func (n *nodeScript) finish() event {
	n.t.Helper()
	done := n.await("done")
	_ = n.stdin.Close()
	err := n.cmd.Wait()
	if code := exitCode(err); code != 0 {
		n.t.Fatalf("node %s reported done but exited with %d (%v)", n.name, code, err)
	}
	return done
}

// runNode runs a script that needs no interaction and returns its done
// event.
func runNode(t *testing.T, timeout time.Duration, script string, args ...string) event {
	t.Helper()
	return startNode(t, timeout, script, args...).finish()
}

// field reads a nested value of an event by dotted path ("close.code").
func (e event) field(path string) any {
	var v any = map[string]any(e)
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// jsonOf renders v as compact JSON for comparisons and messages.
func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}
