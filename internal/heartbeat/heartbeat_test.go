package heartbeat

import "testing"

// Wake never blocks, however often it is called before the loop answers,
// and leaves exactly one wake-up pending.
func TestChanBeatWakeIsNonBlockingAndCoalesced(t *testing.T) {
	b := NewChan("sweeper")
	for i := 0; i < 3; i++ {
		b.Wake()
	}
	<-b.C()
	select {
	case <-b.C():
		t.Fatal("more than one wake-up pending")
	default:
	}
	b.Tick()
	b.Tick()
	if b.Count() != 2 || b.Name() != "sweeper" {
		t.Fatalf("count %d, name %q", b.Count(), b.Name())
	}
	woken := 0
	f := New("loop", func() { woken++ })
	f.Wake()
	if woken != 1 || f.C() != nil {
		t.Fatalf("woken %d", woken)
	}
}
