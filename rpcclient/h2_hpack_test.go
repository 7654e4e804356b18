package rpcclient

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"
)

// FuzzH2ReqHeaders runs a fuzzed sequence of calls on several paths, with
// changes of the peer's table size in between, and decodes every block
// with x/net's decoder, which keeps its own table: each block must decode
// to exactly the call's fields. A kept constant part reused after the
// table changed would decode to other fields or fail.
func FuzzH2ReqHeaders(f *testing.F) {
	f.Add([]byte{1, 1, 1, 0, 2, 1, 0x85, 1, 1, 3, 0xfd, 0, 1, 2})
	f.Add([]byte{0, 0, 0xc5, 0, 0, 0x05, 1, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		paths := [...]string{pathConnect, pathCommand, pathDisconnect, "/other.Service/Method"}
		h := newH2ReqHeaders("127.0.0.1:50051")
		var got []hpack.HeaderField
		dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) { got = append(got, f) })
		for i, op := range ops {
			if op&0x80 != 0 {
				// The peer's SETTINGS_HEADER_TABLE_SIZE: 0 to 4096.
				h.setMaxTableSize(uint32(op&0x7f) * 32)
				continue
			}
			path := paths[op%4]
			sid := fmt.Sprintf("sid-%d", i)
			var timeout time.Duration
			if op&4 != 0 {
				timeout = time.Duration(op) * time.Millisecond
			}
			block := h.block(path, sid, timeout)
			got = got[:0]
			if _, err := dec.Write(block); err != nil {
				t.Fatalf("op %d: %v", i, err)
			}
			if err := dec.Close(); err != nil {
				t.Fatalf("op %d: %v", i, err)
			}
			want := []hpack.HeaderField{
				{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"},
				{Name: ":path", Value: path}, {Name: ":authority", Value: "127.0.0.1:50051"},
				{Name: "content-type", Value: "application/grpc"}, {Name: "te", Value: "trailers"},
				{Name: "user-agent", Value: "densecable-grpc"}, {Name: "protov", Value: ProtoVersions},
			}
			if timeout > 0 {
				want = append(want, hpack.HeaderField{Name: "grpc-timeout", Value: grpcTimeout(timeout), Sensitive: true})
			}
			want = append(want, hpack.HeaderField{Name: "sid", Value: sid, Sensitive: true})
			if len(got) != len(want) {
				t.Fatalf("op %d: decoded %v, want %v", i, got, want)
			}
			for j := range want {
				if got[j] != want[j] {
					t.Fatalf("op %d field %d: decoded %v, want %v", i, j, got[j], want[j])
				}
			}
		}
	})
}

// Once a path's constant fields are in the table, its blocks reuse the
// kept encoding: eight one-byte indexes.
func TestH2ReqHeadersReuseTheConstantPart(t *testing.T) {
	h := newH2ReqHeaders("app:50051")
	first := len(h.block(pathCommand, "a", 0))
	h.block(pathCommand, "b", 0)
	if h.prefixes[0].path != pathCommand || len(h.prefixes[0].b) != 8 || h.prefixes[0].gen != h.gen {
		t.Fatalf("constant part not kept after the table settled: %+v (gen %d)", h.prefixes[0], h.gen)
	}
	if third := h.block(pathCommand, "c", 0); len(third) >= first || string(third[:8]) != string(h.prefixes[0].b) {
		t.Fatalf("third block %x does not start with the kept %x", third, h.prefixes[0].b)
	}
	h.setMaxTableSize(0) // evicts everything
	if h.prefixes[0].gen == h.gen {
		t.Fatal("kept part still valid after the table size changed")
	}
}
