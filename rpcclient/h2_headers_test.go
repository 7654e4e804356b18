package rpcclient

import (
	"bytes"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// expectFields is what h2headers must keep of a decoded field list: the
// last :status, grpc-status and grpc-message within maxSize bytes.
func expectFields(fields []hpack.HeaderField, maxSize int) h2fields {
	var want h2fields
	size := 0
	for _, f := range fields {
		size += len(f.Name) + len(f.Value) + 32
		if size > maxSize {
			break
		}
		switch f.Name {
		case ":status":
			want.httpStatus, want.set = f.Value, want.set|hasHTTPStatus
		case "grpc-status":
			want.grpcStatus, want.set = f.Value, want.set|hasGRPCStatus
		case "grpc-message":
			want.grpcMsg, want.set = f.Value, want.set|hasGRPCMsg
		}
	}
	return want
}

func encodeBlock(fields ...hpack.HeaderField) []byte {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	for _, f := range fields {
		_ = enc.WriteField(f)
	}
	return buf.Bytes()
}

// FuzzH2Headers decodes two header blocks on one connection's decoder, each
// split into two fragments at a fuzzed point, and compares with x/net's
// HPACK decoder fed each block whole: the same blocks fail, and the others
// keep exactly the last :status, grpc-status and grpc-message within the
// size limit (the second block decoded against the table the first left).
func FuzzH2Headers(f *testing.F) {
	reply := encodeBlock(hpack.HeaderField{Name: ":status", Value: "200"},
		hpack.HeaderField{Name: "content-type", Value: "application/grpc"})
	trailers := encodeBlock(hpack.HeaderField{Name: "grpc-status", Value: "3"},
		hpack.HeaderField{Name: "grpc-message", Value: "bad%20input"})
	f.Add(append(append([]byte{}, reply...), trailers...), uint16(len(reply)), uint16(3))
	f.Add(encodeBlock(hpack.HeaderField{Name: "grpc-status", Value: "0", Sensitive: true},
		hpack.HeaderField{Name: "x-pad", Value: string(make([]byte, 300))}), uint16(10), uint16(0))
	f.Add([]byte{0x3f, 0xe1, 0x1f, 0x88}, uint16(1), uint16(1)) // table size update, then :status 200
	f.Fuzz(func(t *testing.T, data []byte, cut, split uint16) {
		const maxSize = 256 // small, so the fuzzer reaches the limit
		blocks := [2][]byte{data, nil}
		if c := int(cut); c < len(data) {
			blocks = [2][]byte{data[:c], data[c:]}
		}
		var got []hpack.HeaderField
		ref := hpack.NewDecoder(4096, func(f hpack.HeaderField) { got = append(got, f) })
		ref.SetMaxStringLength(maxSize)
		h := newH2Headers(maxSize)
		for i, block := range blocks {
			got = got[:0]
			_, refErr := ref.Write(block)
			if refErr == nil {
				refErr = ref.Close()
			}
			h.begin(uint32(2*i+1), i == 1)
			at := 0
			if len(block) > 0 {
				at = int(split) % (len(block) + 1)
			}
			err := h.write(block[:at])
			if err == nil {
				err = h.write(block[at:])
			}
			if err == nil {
				err = h.end()
			}
			if (err == nil) != (refErr == nil) {
				t.Fatalf("block %d: error %v, x/net %v", i, err, refErr)
			}
			if err != nil {
				return // a connection error: nothing after it is decoded
			}
			if want := expectFields(got, maxSize); h.fields != want {
				t.Fatalf("block %d: kept %+v, want %+v", i, h.fields, want)
			}
			if h.id != uint32(2*i+1) || h.endStream != (i == 1) {
				t.Fatalf("block %d: stream %d end %v", i, h.id, h.endStream)
			}
		}
	})
}

// A block whose fields exceed the announced header list size keeps what
// came before the limit; the fields past it are still decoded, so the
// next block that refers to them by index decodes correctly.
func TestH2HeadersPastTheLimitKeepTheTableInStep(t *testing.T) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	_ = enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
	_ = enc.WriteField(hpack.HeaderField{Name: "x-big", Value: string(bytes.Repeat([]byte("a"), 200))})
	_ = enc.WriteField(hpack.HeaderField{Name: "grpc-message", Value: "dropped"}) // indexed from now on
	first := append([]byte{}, buf.Bytes()...)
	buf.Reset()
	_ = enc.WriteField(hpack.HeaderField{Name: "grpc-message", Value: "dropped"})
	second := append([]byte{}, buf.Bytes()...)

	h := newH2Headers(256)
	h.begin(1, false)
	if err := h.write(first); err != nil || h.end() != nil {
		t.Fatalf("first block: %v", err)
	}
	if h.fields != (h2fields{httpStatus: "200", set: hasHTTPStatus}) {
		t.Fatalf("first block kept %+v", h.fields)
	}
	h.begin(1, true)
	if err := h.write(second); err != nil || h.end() != nil {
		t.Fatalf("second block: %v", err)
	}
	if len(second) != 1 || h.fields != (h2fields{grpcMsg: "dropped", set: hasGRPCMsg}) {
		t.Fatalf("second block (%d bytes) kept %+v", len(second), h.fields)
	}
}
