package pubsub

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// hashedSubjectPrefix starts the subject of a stream whose name cannot be a
// NATS subject as it is.
const hashedSubjectPrefix = "_DCSTREAM."

// maxPlainSubject bounds a stream name used as a subject; longer names are
// hashed (the server limits a protocol line to 4 KiB).
const maxPlainSubject = 255

// Subject returns the NATS subject that carries stream's publications. It is
// the stream name itself, as in anycable-go, when that is a plain subject:
// printable ASCII without wildcards or whitespace, no empty token, at most
// 255 bytes, and not in a namespace with a meaning of its own ("$JS.API",
// "$KV", "$SYS", "_INBOX." and the hashed prefix below). Any other name is
// hashed to "_DCSTREAM.<base64url(sha256(stream))>": a client that may
// choose stream names (public streams, whispers) must not reach JetStream's
// API or another connection's replies. Every node computes the same subject,
// and receivers route by the stream inside the payload, never by the subject.
func Subject(stream string) string {
	if isPlainSubject(stream) {
		return stream
	}
	sum := sha256.Sum256([]byte(stream))
	return hashedSubjectPrefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

func isPlainSubject(s string) bool {
	if s == "" || len(s) > maxPlainSubject || s[0] == '$' ||
		strings.HasPrefix(s, "_INBOX.") || strings.HasPrefix(s, hashedSubjectPrefix) {
		return false
	}
	prev := byte('.') // a leading dot is an empty token
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '*' || c == '>' || c == '.' && prev == '.' {
			return false
		}
		prev = c
	}
	return prev != '.'
}
