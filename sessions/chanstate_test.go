package sessions

import (
	"maps"
	"testing"
)

// chanState follows mergeState's rules: the two must agree on every update.
func TestChanStateMergeAgreesWithMap(t *testing.T) {
	updates := []map[string]string{
		{"$w": "room", "$p": "room"},
		{"user": "1"},
		{"$w": ""},
		{"user": "2", "missing": ""},
		{"$p": "", "user": ""},
		{"a": "x"},
	}
	var s chanState
	var m map[string]string
	for i, upd := range updates {
		s = s.merge(upd)
		m = mergeState(m, upd)
		if got := s.asMap(); !maps.Equal(got, m) {
			t.Fatalf("after update %d: %v, map rules give %v", i, got, m)
		}
		for k, v := range m {
			if s.get(k) != v {
				t.Fatalf("get(%q) = %q, want %q", k, s.get(k), v)
			}
		}
	}
	if s.get("$w") != "" || s.get("nope") != "" {
		t.Fatal("a deleted or unknown key has a value")
	}
	if e := chanState(nil).merge(map[string]string{"k": ""}); e != nil || e.asMap() != nil {
		t.Fatalf("an update that only deletes leaves %v", e)
	}
}
