package sessions

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkPingerDue measures one scheduler tick over 100,000 sessions with
// mixed intervals: the per-ping cost (heap move) and that it allocates
// nothing once the batch slice has grown.
func BenchmarkPingerDue(b *testing.B) {
	p := &pinger{done: make(chan struct{})}
	now := time.Unix(1_000_000, 0)
	for i := 0; i < 100_000; i++ {
		p.add(&Session{pingInterval: time.Duration(1+i%3600) * time.Second}, now)
	}
	var batch []*Session
	b.ReportAllocs()
	b.ResetTimer()
	pings := 0
	for i := 0; i < b.N; i++ {
		now = now.Add(pingTick)
		batch = p.due(now, batch[:0])
		pings += len(batch)
	}
	b.ReportMetric(float64(pings)/float64(b.N), "pings/tick")
}

// BenchmarkPingerAddRemove is a session's whole scheduling cost over its life.
func BenchmarkPingerAddRemove(b *testing.B) {
	p := &pinger{done: make(chan struct{})}
	now := time.Unix(1_000_000, 0)
	for i := 0; i < 100_000; i++ {
		p.add(&Session{pingInterval: time.Duration(1+i%3600) * time.Second}, now)
	}
	s := &Session{pingInterval: 3 * time.Second}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.add(s, now)
		p.remove(s)
	}
}

// BenchmarkParsePingInterval: ?pi= parsing on the connect path.
func BenchmarkParsePingInterval(b *testing.B) {
	n := &Node{opts: Options{PingInterval: 3 * time.Second}}
	v := strconv.Itoa(2147483647)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = n.pingInterval("sid", v)
	}
}
