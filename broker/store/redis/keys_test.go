package redisstore

import (
	"strings"
	"testing"
)

// hashTag is the part of a key Redis Cluster hashes: the text between the
// first "{" and the next "}", if not empty; else the whole key.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return key
	}
	return key[open+1 : open+1+end]
}

// A stream's keys share one hash tag (one cluster slot), whatever the
// stream name holds.
func TestStreamKeysShareASlot(t *testing.T) {
	k := keys{prefix: DefaultPrefix}
	for _, stream := range []string{"chat_42", "a{b}c", "}{", "{", "}", "x}", "{}", "ü/ñ:1"} {
		history := []string{k.entries(stream), k.meta(stream)}
		presence := k.presence(stream)
		for _, group := range [][]string{history, presence} {
			for _, key := range group[1:] {
				if hashTag(key) != hashTag(group[0]) {
					t.Errorf("stream %q: %q and %q hash differently", stream, group[0], key)
				}
			}
		}
	}
}
