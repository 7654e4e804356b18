package jsonkit

import (
	"math/rand/v2"
	"testing"
)

// PlainPrefix must agree with the byte table for every byte in every
// position of a word, and for random strings.
func TestPlainPrefixMatchesTable(t *testing.T) {
	slow := func(s []byte, i int) int {
		j := i
		for j < len(s) && strClass[s[j]] == strPlain {
			j++
		}
		return j - i
	}
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 12; pos++ {
			s := []byte("abcdefghijklmnop")
			s[pos] = byte(c)
			if got, want := PlainPrefix(s, 0), slow(s, 0); got != want {
				t.Fatalf("byte 0x%02x at %d: %d, want %d", c, pos, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		s := make([]byte, rng.IntN(40))
		for k := range s {
			if rng.IntN(8) == 0 {
				s[k] = byte(rng.IntN(256))
			} else {
				s[k] = byte('a' + rng.IntN(26))
			}
		}
		i := rng.IntN(len(s) + 1)
		if got, want := PlainPrefix(s, i), slow(s, i); got != want {
			t.Fatalf("%q from %d: %d, want %d", s, i, got, want)
		}
		if got, want := PlainPrefix(string(s), i), slow(s, i); got != want {
			t.Fatalf("string %q from %d: %d, want %d", s, i, got, want)
		}
	}
}

func TestLiteralPrefixMatchesLoop(t *testing.T) {
	slow := func(s []byte, i int) int {
		j := i
		for j < len(s) && s[j] != '\\' && s[j] < 0x80 {
			j++
		}
		return j - i
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 20000; n++ {
		s := make([]byte, rng.IntN(40))
		for k := range s {
			if rng.IntN(8) == 0 {
				s[k] = byte(rng.IntN(256))
			} else {
				s[k] = byte('a' + rng.IntN(26))
			}
		}
		i := rng.IntN(len(s) + 1)
		if got, want := LiteralPrefix(s, i), slow(s, i); got != want {
			t.Fatalf("%q from %d: %d, want %d", s, i, got, want)
		}
	}
}

func TestRawPrefixMatchesLoop(t *testing.T) {
	slow := func(s []byte, i int) int {
		j := i
		for j < len(s) && s[j] >= 0x20 && s[j] < 0x80 && s[j] != '"' && s[j] != '\\' {
			j++
		}
		return j - i
	}
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 12; pos++ {
			s := []byte("abcdefghijklmnop")
			s[pos] = byte(c)
			if got, want := RawPrefix(s, 0), slow(s, 0); got != want {
				t.Fatalf("byte 0x%02x at %d: %d, want %d", c, pos, got, want)
			}
		}
	}
}
