package server

import (
	"testing"
	"unsafe"
)

// An idle long-poll session keeps its held request's heldPoll: three
// words, the 24-byte size class.
func TestHeldPollSize(t *testing.T) {
	if n := unsafe.Sizeof(heldPoll{}); n > 24 {
		t.Fatalf("heldPoll is %d bytes, over 24", n)
	}
}
