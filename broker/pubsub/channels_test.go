package pubsub

import (
	"slices"
	"testing"
)

func TestChannelSetCoalescesFlaps(t *testing.T) {
	s := newChannelSet()
	if !s.want("a", true) || s.want("a", true) {
		t.Fatal("want reports changes wrongly")
	}
	s.want("a", false)
	s.want("a", true)
	sub, unsub := s.take(10)
	if !slices.Equal(sub, []string{"a"}) || len(unsub) != 0 {
		t.Fatalf("take = %v, %v", sub, unsub)
	}
	// Unsubscribing a channel whose SUBSCRIBE is sent but not confirmed
	// still sends the UNSUBSCRIBE.
	s.want("a", false)
	sub, unsub = s.take(10)
	if len(sub) != 0 || !slices.Equal(unsub, []string{"a"}) {
		t.Fatalf("take = %v, %v", sub, unsub)
	}
	// A channel never sent needs no UNSUBSCRIBE.
	s.want("b", true)
	s.want("b", false)
	if sub, unsub = s.take(10); len(sub)+len(unsub) != 0 {
		t.Fatalf("take = %v, %v", sub, unsub)
	}
}

func TestChannelSetResetResubscribesAndBatches(t *testing.T) {
	s := newChannelSet()
	for _, ch := range []string{"a", "b", "c"} {
		s.want(ch, true)
	}
	s.take(10)
	s.confirm("a", true)
	s.reset()
	if s.isConfirmed("a") {
		t.Fatal("confirmation survived a new connection")
	}
	first, _ := s.take(2)
	rest, _ := s.take(2)
	all := append(first, rest...)
	slices.Sort(all)
	if len(first) != 2 || !slices.Equal(all, []string{"a", "b", "c"}) || s.hasPending() {
		t.Fatalf("batches %v + %v", first, rest)
	}
}
