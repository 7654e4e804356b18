package longpoll

import (
	"testing"
	"unsafe"
)

// An idle session keeps its Poll for as long as it lives: it must stay
// in its size class.
func TestPollSize(t *testing.T) {
	if n := unsafe.Sizeof(Poll{}); n > pollSize {
		t.Fatalf("Poll is %d bytes, over its %d-byte bound", n, pollSize)
	}
}
