package jsonkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The properties below hold the toolkit to encoding/json, the reference
// server's decoder and encoder: same verdict, same decoded text, same bytes.

func valueSeeds() []string {
	return []string{
		`{"a":1,"b":[true,false,null],"c":{"d":"e\u00e9\n"}}`,
		` [ 1 , -0.5e+3 , "x" ] `, `{"a":1,"a":2}`, `{}`, `[]`, `""`, `0`, `-0`, `1.`, `01`, `1e`, `.5`,
		`"\ud83d\ude00\ud800x\udc00"`, "\"a\xffb\xc3\"", `"\u00zz"`, "\"\x01\"", `"<&>"`,
		`[1,]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`, `[1 2]`, `tru`, `nul`, `1e400`, `-1e309`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		`{"x":1} x`, "\t\n\r {} ",
	}
}

// FuzzSkipValue: a whole input is one value for SkipValue exactly when
// json.Valid says so, and for SkipAnyValue exactly when json.Unmarshal into
// an interface{} succeeds (numbers beyond float64 fail there).
func FuzzSkipValue(f *testing.F) {
	for _, s := range valueSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		whole := func(skip func([]byte, int, int) (int, error)) bool {
			end, err := skip(b, SkipSpace(b, 0), 0)
			return err == nil && SkipSpace(b, end) == len(b)
		}
		if got, want := whole(SkipValue), json.Valid(b); got != want {
			t.Fatalf("SkipValue(%q) ok=%v, json.Valid=%v", b, got, want)
		}
		var v any
		if got, want := whole(SkipAnyValue), json.Unmarshal(b, &v) == nil; got != want {
			t.Fatalf("SkipAnyValue(%q) ok=%v, json.Unmarshal ok=%v", b, got, want)
		}
	})
}

// FuzzUnquote: ScanString accepts the string literal at the start of the
// input exactly when encoding/json does, and every way of decoding it
// (AppendUnescaped, DecodeString, AppendStringValue) gives json.Unmarshal's
// text.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{``, `plain`, `\"\\\/\b\f\n\r\t`, `\u00e9\u2028`, `\ud83d\ude00`, `\ud800`, `\udc00\ud800`,
		`\ud800\u0041`, "\xff\xc3(", "é😀", `<&>`, `\u`, `\x`, "\x1f", `a"b`, `tail\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		b := []byte(`"` + body + `"`)
		si, err := ScanString(b, 0)
		if err != nil {
			if json.Valid(b) {
				t.Fatalf("ScanString(%q) = %v, json.Valid accepts it", b, err)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			if _, _, err2 := AppendStringValue(nil, b, 0); err2 == nil {
				t.Fatalf("AppendStringValue accepts %q, ScanString does not", b)
			}
			return
		}
		lit := b[:si.End]
		var want string
		if err := json.Unmarshal(lit, &want); err != nil {
			t.Fatalf("ScanString accepts %q, json.Unmarshal: %v", lit, err)
		}
		if got := string(AppendUnescaped([]byte("pre"), si.Raw(b), si)); got != "pre"+want {
			t.Fatalf("AppendUnescaped(%q) = %q, want %q", lit, got[3:], want)
		}
		if got := DecodeString(b, si); got != want {
			t.Fatalf("DecodeString(%q) = %q, want %q", lit, got, want)
		}
		got, end, err := AppendStringValue(nil, b, 0)
		if err != nil || end != si.End || string(got) != want {
			t.Fatalf("AppendStringValue(%q) = %q, %d, %v; want %q, %d", lit, got, end, err, want, si.End)
		}
		if si.Verbatim() && string(si.Raw(b)) != want {
			t.Fatalf("%q marked verbatim, decodes to %q", lit, want)
		}
		// Plain bodies are written by encoding/json as they are.
		if enc, _ := json.Marshal(want); si.Plain() && string(enc) != string(lit) {
			t.Fatalf("%q marked plain, encoding/json writes %s", lit, enc)
		}
	})
}

// FuzzAppendString: the writer produces encoding/json's bytes for any text,
// and the scanner reads them back to the same text.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"b\\", "\x00\x1f\x7f", "<script>&", "\u2028\u2029", "é😀", "\xff\xfe", "a\xc3", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		got := AppendString([]byte("x"), s)
		if string(got[1:]) != string(want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got[1:], want)
		}
		if got := AppendString(nil, []byte(s)); string(got) != string(want) {
			t.Fatalf("AppendString([]byte %q) = %s, want %s", s, got, want)
		}
		var keep bytes.Buffer
		enc := json.NewEncoder(&keep)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		if got, want := AppendStringKeepHTML(nil, s), bytes.TrimSuffix(keep.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
			t.Fatalf("AppendStringKeepHTML(%q) = %s, want %s", s, got, want)
		}
		si, err := ScanString(want, 0)
		if err != nil || si.End != len(want) {
			t.Fatalf("ScanString(%s) = %+v, %v", want, si, err)
		}
		var back string
		_ = json.Unmarshal(want, &back)
		if dec := DecodeString(want, si); dec != back {
			t.Fatalf("DecodeString(%s) = %q, want %q", want, dec, back)
		}
	})
}

// FuzzWalk: walking a value with ObjIter and ArrIter (keys by DecodeString,
// scalars by SkipAnyValue) builds the same tree as json.Unmarshal into an
// interface{}, and fails exactly where it fails.
func FuzzWalk(f *testing.F) {
	for _, s := range valueSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want any
		wantErr := json.Unmarshal(b, &want)
		got, end, err := walk(b, SkipSpace(b, 0), 0)
		if err == nil && SkipSpace(b, end) != len(b) {
			err = SyntaxErrAt(end)
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("walk(%q) err=%v, json.Unmarshal err=%v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("walk(%q) = %#v, json.Unmarshal = %#v", b, got, want)
		}
	})
}

func walk(b []byte, i, depth int) (any, int, error) {
	if i >= len(b) {
		return nil, i, SyntaxErrAt(i)
	}
	switch b[i] {
	case '{':
		if depth+1 > MaxDepth {
			return nil, i, ErrDepth
		}
		m := map[string]any{}
		it := ObjIter{B: b, I: i + 1}
		for {
			k, ok, err := it.Next()
			if err != nil || !ok {
				return m, it.I, err
			}
			v, next, err := walk(b, it.I, depth+1)
			if err != nil {
				return nil, next, err
			}
			m[DecodeString(b, k)], it.I = v, next
		}
	case '[':
		if depth+1 > MaxDepth {
			return nil, i, ErrDepth
		}
		a := []any{}
		it := ArrIter{B: b, I: i + 1}
		for {
			ok, err := it.Next()
			if err != nil || !ok {
				return a, it.I, err
			}
			v, next, err := walk(b, it.I, depth+1)
			if err != nil {
				return nil, next, err
			}
			a, it.I = append(a, v), next
		}
	}
	end, err := SkipAnyValue(b, i, depth)
	if err != nil {
		return nil, end, err
	}
	var v any
	if err := json.Unmarshal(b[i:end], &v); err != nil {
		return nil, end, err
	}
	return v, end, nil
}
