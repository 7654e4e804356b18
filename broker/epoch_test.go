package broker

import (
	"strings"
	"testing"
)

func TestNanoID(t *testing.T) {
	for _, n := range []int{4, 21} {
		id := NanoID(n)
		if len(id) != n {
			t.Fatalf("NanoID(%d) = %q: length %d", n, id, len(id))
		}
		if i := strings.IndexFunc(id, func(r rune) bool { return !strings.ContainsRune(nanoidAlphabet, r) }); i >= 0 {
			t.Fatalf("NanoID(%d) = %q: %q is outside A-Za-z0-9_-", n, id, id[i])
		}
	}
	if a, b := NanoID(21), NanoID(21); a == b {
		t.Fatalf("two 21-character ids are equal: %q", a)
	}
	if got := len(NewEpoch()); got != 4 {
		t.Fatalf("epoch length %d, want 4", got)
	}
}
