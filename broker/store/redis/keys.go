package redisstore

// DefaultPrefix starts every key the Redis broker writes.
const DefaultPrefix = "densecable:"

// keys names the broker's Redis keys. A stream's keys share a hash tag
// ({h:<stream>} for history, {p:<stream>} for presence), so in Redis
// Cluster they live in one slot and one script can update them together.
// Redis takes the tag from the first "{" to the next "}"; the tag starts
// with "h:" or "p:", so it is never empty, and every key of a stream has
// the same text up to its end, so names containing braces still work.
//
//	<prefix>epoch                   the epoch (string; not in cluster mode)
//	<prefix>{h:<stream>}            history entries (Stream: o, d, t)
//	<prefix>{h:<stream>}:meta       {e: epoch, o: latest offset} (hash)
//	<prefix>s:<sid>                 session snapshot (string)
//	<prefix>{p:<stream>}:z|:s|:r|:n presence: sid→expiry, sid→id,
//	                                id→info, id→session count
//	<prefix>p:due                   streams with presence → next expiry (zset)
//	<prefix>pm:<sid>                streams a session is present in (set)
type keys struct{ prefix string }

func (k keys) epoch() string                   { return k.prefix + "epoch" }
func (k keys) entries(stream string) string    { return k.prefix + "{h:" + stream + "}" }
func (k keys) meta(stream string) string       { return k.prefix + "{h:" + stream + "}:meta" }
func (k keys) session(sid string) string       { return k.prefix + "s:" + sid }
func (k keys) due() string                     { return k.prefix + "p:due" }
func (k keys) memberStreams(sid string) string { return k.prefix + "pm:" + sid }

// presence returns a stream's four presence keys, in the order the
// scripts expect.
func (k keys) presence(stream string) []string {
	base := k.prefix + "{p:" + stream + "}"
	return []string{base + ":z", base + ":s", base + ":r", base + ":n"}
}
