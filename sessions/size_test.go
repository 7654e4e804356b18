package sessions

import (
	"testing"
	"unsafe"
)

// Every idle connection holds a Session, its channels and their records:
// these sizes are idle memory per connection (docs/benchmarks.md, idle).
// A field added past them moves the struct into a larger allocation size
// class for every connection; make room first (pack small fields, move a
// rarely used one behind a pointer allocated on first use).
func TestIdleStructSizes(t *testing.T) {
	if n := unsafe.Sizeof(Session{}); n > 256 {
		t.Errorf("Session is %d bytes, over 256", n)
	}
	// 64: the state is a slice of pairs in the channel (chanstate.go), not
	// a pointer to a map of about 300 bytes.
	if n := unsafe.Sizeof(channel{}); n > 64 {
		t.Errorf("channel is %d bytes, over 64", n)
	}
}
