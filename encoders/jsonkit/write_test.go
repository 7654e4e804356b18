package jsonkit

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// Every string the JSON writer escapes must match encoding/json.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	inputs := []string{"", "plain", "quote\"back\\slash", "\x00\x01\x1f\b\f\n\r\t\x7f", "<script>&amp;</script>",
		"\u2028\u2029", "é😀", "\xff\xfe", "a\xc3", "\xed\xa0\x80", "mixed é \xe2\x82 <>", strings.Repeat("x", 100)}
	for _, s := range inputs {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s want %s", s, got, want)
		}
		if got := AppendString(nil, []byte(s)); string(got) != string(want) {
			t.Errorf("%q ([]byte): got %s want %s", s, got, want)
		}
	}
}

func TestAppendJSONFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, -0.0, 1, 1.5, -2.25, 1e20, 1e21, 1e-6, 1e-7, 123456789e-15, 3.4e38, 1.7976931348623157e308,
		5e-324, 12345678901234567890, 0.1, 100} {
		want, _ := json.Marshal(f)
		if got := AppendFloat(nil, f, 64); string(got) != string(want) {
			t.Errorf("%v: got %s want %s", f, got, want)
		}
		f32 := float32(f)
		if math.IsInf(float64(f32), 0) {
			continue
		}
		want, _ = json.Marshal(f32)
		if got := AppendFloat(nil, float64(f32), 32); string(got) != string(want) {
			t.Errorf("float32 %v: got %s want %s", f32, got, want)
		}
	}
}
