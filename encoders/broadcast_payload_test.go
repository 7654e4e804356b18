package encoders

import (
	"strings"
	"testing"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// WIRE-FACTS §3 examples.
func TestBroadcastPayloadWireFacts(t *testing.T) {
	cases := map[string]string{
		`{"z":1,"a":2}`:           `{"a":2,"z":1}`,
		`12345678901234567890`:    `12345678901234567000`,
		`1.50`:                    `1.5`,
		`42`:                      `42`,
		`"str"`:                   `"str"`,
		`null`:                    `"null"`,
		`plain`:                   `"plain"`,
		`<turbo-stream action=x>`: `"\u003cturbo-stream action=x\u003e"`,
		`"<turbo-stream>"`:        `"\u003cturbo-stream\u003e"`,
	}
	for in, want := range cases {
		if got := BroadcastPayload(in); string(got) != want {
			t.Errorf("%s: got %s want %s", in, got, want)
		}
	}
}

// Each input is compared with the encoding/json round trip.
func TestBroadcastPayloadMatchesEncodingJSON(t *testing.T) {
	for _, in := range broadcastSeeds() {
		want := refBroadcastPayload(in)
		if got := BroadcastPayload(in); string(got) != string(want) {
			t.Errorf("%.80q:\n got %s\nwant %s", in, got, want)
		}
	}
}

func TestAppendBroadcastPayloadKeepsPrefix(t *testing.T) {
	got := AppendBroadcastPayload([]byte("pre"), `{"b":1,"a":[true,false,null]}`)
	if string(got) != `pre{"a":[true,false,null],"b":1}` {
		t.Errorf("got %s", got)
	}
	got = AppendBroadcastPayload([]byte("pre"), `{"b":1,"a":`)
	if string(got) != `pre"{\"b\":1,\"a\":"` {
		t.Errorf("got %s", got)
	}
}

func broadcastSeeds() []string {
	return []string{
		``, ` `, `null`, ` null `, `nul`, `true`, `false`, ` 42 `, `-0`, `-0.0`, `0`, `1e2`, `1E-7`, `1e400`, `-1e400`, `1e-400`,
		`123456789012345`, `1234567890123456`, `9007199254740993`, `0.1`, `100.000`, `1e21`, `1e20`, `0.000001`, `0.0000001`,
		`"a\u0000b"`, `"\ud83d\ude00"`, `"\ud800"`, `"\udc00\ud800"`, `"\u2028"`, "\"\u2028\"", "\"\xff\"", `"\/\b\f\n\r\t\"\\"`,
		`"<&>"`, `"\u003c"`, `{"b":{"d":1,"c":2},"a":[{"z":0,"y":1}]}`, `{"a":1,"a":2}`, `{"a":1,"b":2,"a":3}`,
		`{"":1," ":2}`, `{"é":1,"e":2,"\u00e9":3}`, `{"\xff":1,"\ufffd":2}`, `[1, 2 ,3]`, `[]`, `{}`, `[{}]`, `{"a":[]}`,
		`{"a" : 1 , "b" : [ 1 , { } ] }`, `{"a":1,}`, `[1,]`, `{"a"}`, `{1:2}`, `"\x01"`, `"abc`, `[1 2]`, `{"a":1}{}`,
		`{"k":"v"} x`, `tru`, `01`, `.5`, `-`, `"\u00"`, `{"a":"<script>"}`, `"plain text with spaces"`,
		`{"message":"hello","user":{"id":1,"name":"x"},"tags":["a","b"]}`,
		strings.Repeat("[", jsonkit.MaxDepth) + strings.Repeat("]", jsonkit.MaxDepth),
		strings.Repeat("[", jsonkit.MaxDepth+1) + strings.Repeat("]", jsonkit.MaxDepth+1),
		strings.Repeat(`{"a":`, 50) + "1" + strings.Repeat("}", 50),
		`{"c":3,"b":{"z":[{"y":1,"x":2}],"a":null},"a":"\u0041"}`,
		`{"b":1,"a":{"d":[{"f":1,"e":2},{"h":3,"g":[]}],"c":{}},"a":{"y":0,"x":{"w":1,"v":2}}}`,
		// Unsorted objects nested deeply: must not cost a copy per level.
		strings.Repeat(`{"b":`, 3000) + "1" + strings.Repeat(`,"a":"x"}`, 3000),
		strings.Repeat(`{"b":`, jsonkit.MaxDepth+1) + "1" + strings.Repeat(`,"a":"x"}`, jsonkit.MaxDepth+1),
	}
}
