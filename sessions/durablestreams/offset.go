package durablestreams

import (
	"errors"
	"strconv"
	"strings"
)

// An offset token is "<offset>::<epoch>" (the broker's position in the
// stream's history); "0" is an empty stream. Clients treat it as opaque.
const offsetSep = "::"

// maxEpochLen bounds the epoch part of a client's offset (brokers' epochs
// are a few characters).
const maxEpochLen = 64

// position is a parsed offset.
type position struct {
	start  bool // "", "-1", "0": the whole history
	now    bool // "now": no history, only what comes
	offset uint64
	epoch  string // "" with a plain number: no epoch (410, as the reference)
}

var errMalformed = errors.New("malformed offset")

// parseOffset reads the offset parameter. A malformed token is an error
// (400); a number without an epoch parses with epoch "" (410 later).
func parseOffset(s string) (position, error) {
	switch s {
	case "", "-1", "0":
		return position{start: true}, nil
	case "now":
		return position{now: true}, nil
	}
	num, epoch, hasEpoch := strings.Cut(s, offsetSep)
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || num == "" || num[0] == '+' {
		return position{}, errMalformed
	}
	if hasEpoch && !validEpoch(epoch) {
		return position{}, errMalformed
	}
	return position{offset: n, epoch: epoch}, nil
}

// validEpoch: 1 to maxEpochLen printable ASCII characters, no separator.
func validEpoch(e string) bool {
	if e == "" || len(e) > maxEpochLen || strings.Contains(e, offsetSep) {
		return false
	}
	for i := 0; i < len(e); i++ {
		if e[i] <= ' ' || e[i] > '~' {
			return false
		}
	}
	return true
}

// appendOffset writes the token for a history position ("0" without one).
func appendOffset(dst []byte, offset uint64, epoch string) []byte {
	if epoch == "" {
		return append(dst, '0')
	}
	dst = strconv.AppendUint(dst, offset, 10)
	dst = append(dst, offsetSep...)
	return append(dst, epoch...)
}

func formatOffset(offset uint64, epoch string) string {
	return string(appendOffset(nil, offset, epoch))
}
