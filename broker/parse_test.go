package broker

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	pub := func(stream, data string) Publication { return Publication{Stream: stream, Data: data} }
	cases := []struct {
		name string
		in   string
		pubs []Publication
		cmd  *RemoteCommand
		ok   bool
	}{
		{"single", `{"stream":"chat_1","data":"hello"}`, []Publication{pub("chat_1", "hello")}, nil, true},
		{"escaped data", `{"stream":"s","data":"{\"text\":\"Hello, world!\"}"}`,
			[]Publication{pub("s", `{"text":"Hello, world!"}`)}, nil, true},
		{"meta", `{"stream":"s","data":"x","meta":{"exclude_socket":"sid1","broadcast_type":"update","transient":true,"other":[1]}}`,
			[]Publication{{Stream: "s", Data: "x", Meta: Meta{ExcludeSocket: "sid1", BroadcastType: "update", Transient: true}}}, nil, true},
		{"meta null", `{"stream":"s","data":"x","meta":null}`, []Publication{pub("s", "x")}, nil, true},
		{"meta merges duplicates", `{"stream":"s","meta":{"transient":true},"meta":{"exclude_socket":"a"}}`,
			[]Publication{{Stream: "s", Meta: Meta{ExcludeSocket: "a", Transient: true}}}, nil, true},
		{"meta reset by null", `{"stream":"s","meta":{"transient":true},"meta":null}`, []Publication{pub("s", "")}, nil, true},
		{"meta not object", `{"stream":"s","data":"x","meta":"no"}`, nil, nil, false},
		{"transient not bool", `{"stream":"s","data":"x","meta":{"transient":"true"}}`, nil, nil, false},
		{"spaces", " \t\r\n{ \"stream\" : \"s\" , \"data\" : \"d\" } \n", []Publication{pub("s", "d")}, nil, true},
		{"keys fold case", `{"Stream":"s","DATA":"d"}`, []Publication{pub("s", "d")}, nil, true},
		{"unicode fold of s", "{\"\u017Ftream\":\"s\"}", []Publication{pub("s", "")}, nil, true},
		{"escaped key", `{"str\u0065am":"s"}`, []Publication{pub("s", "")}, nil, true},
		{"last duplicate wins", `{"stream":"a","stream":"b","data":"1","data":"2"}`, []Publication{pub("b", "2")}, nil, true},
		{"null leaves field", `{"stream":"a","stream":null,"data":null}`, []Publication{pub("a", "")}, nil, true},
		{"unicode escapes", `{"stream":"s","data":"\u00e9\ud83d\ude00\ud800x\n"}`, []Publication{pub("s", "é😀\uFFFDx\n")}, nil, true},
		{"invalid utf8 replaced", "{\"stream\":\"s\",\"data\":\"a\xffb\"}", []Publication{pub("s", "a\uFFFDb")}, nil, true},
		{"offset and epoch", `{"stream":"s","data":"d","offset":42,"epoch":"abcd"}`,
			[]Publication{{Stream: "s", Data: "d", Offset: 42, Epoch: "abcd"}}, nil, true},
		{"offset max", `{"stream":"s","offset":18446744073709551615}`, []Publication{{Stream: "s", Offset: 1<<64 - 1}}, nil, true},
		{"offset overflow", `{"stream":"s","offset":18446744073709551616}`, nil, nil, false},
		{"offset fraction", `{"stream":"s","offset":1.0}`, nil, nil, false},
		{"offset negative", `{"stream":"s","offset":-1}`, nil, nil, false},
		{"data object", `{"stream":"s","data":{"text":"hi"}}`, nil, nil, false},
		{"data number", `{"stream":"s","data":1}`, nil, nil, false},
		{"stream number", `{"stream":1,"data":"x"}`, nil, nil, false},
		{"empty stream", `{"stream":"","data":"x"}`, nil, nil, false},
		{"batch", `[{"stream":"a","data":"1"},{"stream":"b","data":"2","meta":{"transient":true}}]`,
			[]Publication{pub("a", "1"), {Stream: "b", Data: "2", Meta: Meta{Transient: true}}}, nil, true},
		{"batch drops stream-less and null", `[{"stream":"a"},null,{"data":"x"},{"stream":"b"}]`,
			[]Publication{pub("a", ""), pub("b", "")}, nil, true},
		{"batch first without stream", `[{"data":"x"},{"stream":"b"}]`, nil, nil, false},
		{"batch first null", `[null,{"stream":"b"}]`, nil, nil, false},
		{"batch with bad data", `[{"stream":"a","data":"1"},{"stream":"b","data":2}]`, nil, nil, false},
		{"batch with scalar", `[{"stream":"a"},1]`, nil, nil, false},
		{"empty batch", `[]`, nil, nil, false},
		{"batch trailing comma", `[{"stream":"a"},]`, nil, nil, false},
		{"disconnect", `{"command":"disconnect","payload":{"identifier":"{\"user\":1}","reconnect":true}}`,
			nil, &RemoteCommand{Command: "disconnect", Identifier: `{"user":1}`, Reconnect: true}, true},
		{"disconnect null payload", `{"command":"disconnect","payload":null}`, nil, &RemoteCommand{Command: "disconnect"}, true},
		{"disconnect with stray stream", `{"stream":"","command":"disconnect","payload":{"identifier":"x"}}`,
			nil, &RemoteCommand{Command: "disconnect", Identifier: "x"}, true},
		{"disconnect without payload", `{"command":"disconnect"}`, nil, nil, false},
		{"disconnect bad reconnect", `{"command":"disconnect","payload":{"identifier":"x","reconnect":"yes"}}`, nil, nil, false},
		{"disconnect payload array", `{"command":"disconnect","payload":[]}`, nil, nil, false},
		{"unknown command", `{"command":"restart","payload":{}}`, nil, nil, false},
		{"command not string", `{"command":1}`, nil, nil, false},
		{"empty object", `{}`, nil, nil, false},
		{"null", `null`, nil, nil, false},
		{"string", `"stream"`, nil, nil, false},
		{"empty", ``, nil, nil, false},
		{"blank", "  \n", nil, nil, false},
		{"truncated", `{"stream":"s","data":"x"`, nil, nil, false},
		{"trailing garbage", `{"stream":"s"} x`, nil, nil, false},
		{"two values", `{"stream":"s"}{"stream":"t"}`, nil, nil, false},
		{"single quotes", `{'stream':'s'}`, nil, nil, false},
		{"control char in string", "{\"stream\":\"a\tb\"}", nil, nil, false},
		{"bad escape", `{"stream":"a\qb"}`, nil, nil, false},
		{"bad number elsewhere", `{"stream":"s","x":01}`, nil, nil, false},
		{"trailing comma", `{"stream":"s",}`, nil, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pubs, cmd, err := Parse([]byte(tc.in))
			if tc.ok != (err == nil) {
				t.Fatalf("Parse(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if !reflect.DeepEqual(pubs, tc.pubs) || !reflect.DeepEqual(cmd, tc.cmd) {
				t.Fatalf("Parse(%q) = %#v, %#v; want %#v, %#v", tc.in, pubs, cmd, tc.pubs, tc.cmd)
			}
			// The expectations agree with the reference decoder.
			rp, rc, rok := refParse([]byte(tc.in))
			if rok != tc.ok || !reflect.DeepEqual(rp, tc.pubs) || !reflect.DeepEqual(rc, tc.cmd) {
				t.Fatalf("reference disagrees: %#v, %#v, %v", rp, rc, rok)
			}
		})
	}
}

// Nesting deeper than encoding/json's limit (10000) is invalid anywhere in
// the payload, even inside a key nobody reads.
func TestParseDepthLimit(t *testing.T) {
	nested := func(levels int) string {
		return `{"stream":"s","x":` + strings.Repeat("[", levels) + strings.Repeat("]", levels) + `}`
	}
	for _, levels := range []int{9998, 9999, 10000} {
		in := []byte(nested(levels))
		_, _, err := Parse(in)
		_, _, rok := refParse(in)
		if (err == nil) != rok {
			t.Fatalf("%d nested arrays: Parse err=%v, reference ok=%v", levels, err, rok)
		}
	}
	// The object is a level of its own.
	if _, _, err := Parse([]byte(nested(10000))); err == nil {
		t.Fatal("10001 levels accepted")
	}
	if _, _, err := Parse([]byte(nested(9999))); err != nil {
		t.Fatalf("10000 levels rejected: %v", err)
	}
}

func TestParseAllocations(t *testing.T) {
	single := []byte(`{"stream":"chat_42","data":"{\"text\":\"Hello, world!\",\"user\":7}"}`)
	// The result slice, the stream and the data string.
	if n := testing.AllocsPerRun(100, func() { _, _, _ = Parse(single) }); n > 3 {
		t.Fatalf("single publication: %.0f allocations, want <= 3", n)
	}
}
