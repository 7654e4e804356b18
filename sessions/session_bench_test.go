package sessions

import (
	"testing"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/sessions/actioncable"
)

// nullTransport accepts every frame and keeps nothing.
type nullTransport struct{ n int }

func (t *nullTransport) Write([]byte) error               { t.n++; return nil }
func (t *nullTransport) Close(uint16, string)             {}
func (t *nullTransport) CloseWith([]byte, uint16, string) {}
func (t *nullTransport) Queue([]byte) (bool, error)       { t.n++; return t.n%2 == 0, nil }
func (t *nullTransport) Flush() error                     { return nil }
func (t *nullTransport) RemoteIP() string                 { return "127.0.0.1" }

// BenchmarkSessionDeliver is what fanout does per subscriber of a
// broadcast, on real sessions: ask the codec (encode-once cache key),
// gather the shared frame, flush the dirty ones.
func BenchmarkSessionDeliver(b *testing.B) {
	ss := make([]*Session, 1000)
	for i := range ss {
		ss[i] = newBenchSession()
	}
	frame := []byte("\x81\x05hello")
	var enc encoders.Encoder
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range ss {
			enc = s.Encoder()
			if s.Queue(frame) {
				s.Flush()
			}
		}
	}
	_ = enc
}

func newBenchSession() *Session {
	return &Session{conn: &nullTransport{}, proto: actioncable.Default()}
}
