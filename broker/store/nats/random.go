package natsstore

import "crypto/rand"

// nodeAlphabet makes node ids that are valid in NATS subjects and KV keys.
const nodeAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomString draws n characters from alphabet (a slight bias for an
// alphabet whose length does not divide 256 does not matter for node ids).
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
