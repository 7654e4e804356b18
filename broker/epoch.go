package broker

import "crypto/rand"

const epochAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// NewEpoch returns a 4-character nanoid (A-Za-z0-9_-), as anycable-go's
// epochs look; every broker draws its epochs here. 64 symbols divide 256, so
// masking a random byte is unbiased.
func NewEpoch() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = epochAlphabet[b[i]&63]
	}
	return string(b[:])
}
