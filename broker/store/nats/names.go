package natsstore

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
)

// DefaultPrefix names the JetStream stream and KV buckets every node of a
// cluster shares.
const DefaultPrefix = "densecable"

var prefixRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// names are the JetStream resources of one prefix:
//
//   - <prefix>_history, a stream with subjects <prefix>.history.<token>,
//     one subject per broadcast stream;
//   - <prefix>_sessions, a KV bucket of session snapshots keyed by sid token;
//   - <prefix>_state, a KV bucket with the epoch ("epoch"), node heartbeats
//     ("n.<node>") and presence records ("p.<stream token>.<id token>").
type names struct {
	history, historySubjects, historySubjectPre string
	sessions, state                             string
}

func newNames(prefix string) (names, error) {
	if !prefixRe.MatchString(prefix) {
		return names{}, fmt.Errorf("invalid prefix %q: 1-32 letters, digits, '_' or '-'", prefix)
	}
	return names{
		history:           prefix + "_history",
		historySubjects:   prefix + ".history.>",
		historySubjectPre: prefix + ".history.",
		sessions:          prefix + "_sessions",
		state:             prefix + "_state",
	}, nil
}

func (n names) historySubject(stream string) string { return n.historySubjectPre + token(stream) }

// maxPlainToken bounds the names encoded as they are; longer ones are
// hashed so subjects stay short.
const maxPlainToken = 180

// token turns any string (stream names, sids and presence ids come from
// outside) into one subject token and KV key part: "b" + base64url of the
// string, or "h" + base64url of its SHA-256 when it is long. The two
// alphabets cannot meet, so different strings get different tokens.
func token(s string) string {
	if len(s) > maxPlainToken {
		sum := sha256.Sum256([]byte(s))
		return "h" + base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return "b" + base64.RawURLEncoding.EncodeToString([]byte(s))
}

func presenceKey(stream, id string) string { return "p." + token(stream) + "." + token(id) }

func presenceFilter(stream string) string { return "p." + token(stream) + ".*" }

func nodeKey(node string) string { return "n." + node }

const (
	epochKey      = "epoch"
	allPresence   = "p.>"
	allNodes      = "n.*"
	nodeKeyPrefix = "n."
)
