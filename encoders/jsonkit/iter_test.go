package jsonkit

import "testing"

// Key decodes escapes and keeps case, as JSON.parse does.
func TestKeyDecodesEscapesKeepsCase(t *testing.T) {
	b := []byte(`{"\u0074ype":1,"TYPE":2,"type":3,"t\u00e9":4}`)
	var keys []string
	if _, err := EachMember(b, 0, func(k Str, v int) (int, error) {
		keys = append(keys, Key(b, k)) // DecodeString copies; views are kept only in this test
		return SkipValue(b, v, 1)
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"type", "TYPE", "type", "té"}
	for i := range want {
		if i >= len(keys) || keys[i] != want[i] {
			t.Fatalf("keys %q, want %q", keys, want)
		}
	}
}
