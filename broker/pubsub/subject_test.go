package pubsub

import (
	"strings"
	"testing"
)

func TestSubject(t *testing.T) {
	plain := []string{"chat_1", "chat.1", "Z2lkOi8vYXBwL1VzZXIvMQ==--abc/+=", strings.Repeat("a", 255), "__anycable__"}
	for _, s := range plain {
		if got := Subject(s); got != s {
			t.Errorf("Subject(%q) = %q, want the name itself", s, got)
		}
	}
	hashed := []string{"", "a b", "a\tb", "chat.*", "chat.>", "*", ">", ".chat", "chat.", "a..b",
		"$JS.API.STREAM.DELETE.x", "$KV.x", "$SYS.x", "_INBOX.abc", "_DCSTREAM.x", "é", "a\x7fb", strings.Repeat("a", 256)}
	seen := map[string]string{}
	for _, s := range hashed {
		got := Subject(s)
		if !strings.HasPrefix(got, hashedSubjectPrefix) || !isValidSubject(got) {
			t.Errorf("Subject(%q) = %q, want a valid hashed subject", s, got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("Subject(%q) = Subject(%q)", s, other)
		}
		seen[got] = s
		if Subject(s) != got {
			t.Errorf("Subject(%q) is not stable", s)
		}
	}
}

// isValidSubject is the NATS rule for a literal subject to publish to.
func isValidSubject(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n*>") {
		return false
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" {
			return false
		}
	}
	return true
}

// FuzzSubject checks every stream maps to a literal subject outside the
// reserved namespaces, and that only plain names map to themselves.
func FuzzSubject(f *testing.F) {
	for _, s := range []string{"chat_1", "a b", "$JS.API.INFO", "_INBOX.x", "a..b", "é", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stream string) {
		got := Subject(stream)
		if !isValidSubject(got) || got[0] == '$' || strings.HasPrefix(got, "_INBOX.") || len(got) > maxPlainSubject {
			t.Fatalf("Subject(%q) = %q", stream, got)
		}
		if got != stream && !strings.HasPrefix(got, hashedSubjectPrefix) {
			t.Fatalf("Subject(%q) = %q: neither the name nor a hash", stream, got)
		}
		if got == stream && strings.HasPrefix(got, hashedSubjectPrefix) {
			t.Fatalf("Subject(%q) kept a name in the hashed namespace", stream)
		}
	})
}
