package broker

import "crypto/rand"

const nanoidAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// NanoID returns an n-character nanoid (A-Za-z0-9_-): epochs here, session
// ids in sessions. 64 symbols divide 256, so masking a random byte is
// unbiased.
func NanoID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = nanoidAlphabet[b[i]&63]
	}
	return string(b)
}

// NewEpoch returns a 4-character nanoid, as anycable-go's epochs look; every
// broker draws its epochs here.
func NewEpoch() string { return NanoID(4) }
