package broker

import (
	"strings"
	"testing"
)

var (
	benchSingle = []byte(`{"stream":"chat_42","data":"{\"text\":\"Hello, world!\",\"user\":{\"id\":7,\"name\":\"Ann\"}}","meta":{"exclude_socket":"aBcD12"}}`)
	benchBatch  = []byte("[" + strings.TrimSuffix(strings.Repeat(string(benchSingle)+",", 10), ",") + "]")
)

func BenchmarkParseSingle(b *testing.B) {
	b.SetBytes(int64(len(benchSingle)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse(benchSingle); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseBatch10(b *testing.B) {
	b.SetBytes(int64(len(benchBatch)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse(benchBatch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseReference is encoding/json doing the same job, for scale.
func BenchmarkParseReference(b *testing.B) {
	b.SetBytes(int64(len(benchSingle)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := refParse(benchSingle); !ok {
			b.Fatal("reference failed")
		}
	}
}
