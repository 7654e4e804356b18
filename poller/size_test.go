package poller

import (
	"testing"
	"unsafe"
)

// A Conn is allocated for every connection, so its size is idle memory
// (docs/benchmarks.md, idle). A field added past this moves it into a
// larger allocation size class for every connection: make room first
// (pack small fields, keep engine-specific state in the engine's connIO,
// move rarely used state behind a pointer as held is).
func TestConnSize(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 256 {
		t.Errorf("Conn is %d bytes, over 256", n)
	}
}
