package swarm

import (
	"bytes"
	"testing"

	"github.com/densecable/densecable/frames"
)

// Each command compresses on its own: the server's stateless inflater
// (what a server without context takeover uses) reads every one back, the
// second as well as the first.
func TestCommandDeflaterSelfContained(t *testing.T) {
	var d commandDeflater
	cmd := []byte(`{"command":"subscribe","identifier":"{\"channel\":\"BenchmarkChannel\"}"}`)
	for i := range 3 {
		c := append([]byte(nil), d.compress(cmd)...)
		got, err := frames.Inflate(nil, c, 1<<10)
		if err != nil || !bytes.Equal(got, cmd) {
			t.Fatalf("command %d: %q, %v", i, got, err)
		}
	}
}
