package encoders

import "slices"

// growForReply makes room for an encoded reply in one step when dst is too
// small, instead of letting append grow it several times. The estimate is
// the JSON size with some room for escaping; binary frames are smaller.
func growForReply(dst []byte, r *Reply) []byte {
	n := 128 + len(r.Type) + len(r.Identifier) + len(r.Identifier)/4 + len(r.Message) + len(r.Reason) +
		len(r.StreamID) + len(r.Epoch) + len(r.Sid)
	for _, id := range r.RestoredIDs {
		n += len(id) + len(id)/4 + 3
	}
	return slices.Grow(dst, n)
}
