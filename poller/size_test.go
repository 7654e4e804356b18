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

// TestConnWritePathLine keeps what a direct write touches (write, Queue,
// Flush when the socket takes everything) in the Conn's first cache line:
// at 5,000 subscribers a broadcast misses the cache on every connection,
// so each further line is a miss per delivery (docs/benchmarks.md, the
// one-write floor).
func TestConnWritePathLine(t *testing.T) {
	var c Conn
	fields := []struct {
		name      string
		off, size uintptr
	}{
		{"mu", unsafe.Offsetof(c.mu), unsafe.Sizeof(c.mu)},
		{"fd", unsafe.Offsetof(c.fd), unsafe.Sizeof(c.fd)},
		{"stats", unsafe.Offsetof(c.stats), unsafe.Sizeof(c.stats)},
		{"corked", unsafe.Offsetof(c.corked), unsafe.Sizeof(c.corked)},
		{"corkedBytes", unsafe.Offsetof(c.corkedBytes), unsafe.Sizeof(c.corkedBytes)},
		{"flushing", unsafe.Offsetof(c.flushing), unsafe.Sizeof(c.flushing)},
		{"closeAfter", unsafe.Offsetof(c.closeAfter), unsafe.Sizeof(c.closeAfter)},
		{"closed", unsafe.Offsetof(c.closed), unsafe.Sizeof(c.closed)},
	}
	for _, f := range fields {
		if f.off+f.size > 64 {
			t.Errorf("Conn.%s at bytes %d–%d, past the first cache line", f.name, f.off, f.off+f.size-1)
		}
	}
	// The line holds only while a Conn starts on a 64-byte boundary: an
	// object sits at a multiple of its size class from a page-aligned
	// span start, and every multiple of 64 up to 768 bytes is a size
	// class of its own.
	if n := unsafe.Sizeof(c); n%64 != 0 || n > 768 {
		t.Errorf("Conn is %d bytes, not a 64-byte size class: allocations may not start on a cache line", n)
	}
}
