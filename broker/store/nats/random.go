package natsstore

import "crypto/rand"

// epochAlphabet is nanoid's, as in anycable-go's 4-character epochs.
const (
	epochAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	nodeAlphabet  = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString draws n characters from alphabet (its length divides 256
// for the epoch alphabet, so there is no bias there).
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
