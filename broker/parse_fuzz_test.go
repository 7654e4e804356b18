package broker

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks Parse against the reference decoder (refParse) on
// arbitrary input: same verdict, same publications, same command.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"stream":"chat_1","data":"hello"}`,
		`{"stream":"s","data":"{\"text\":\"Hello\"}","meta":{"exclude_socket":"x","broadcast_type":"t","transient":true}}`,
		`[{"stream":"a","data":"1"},{"stream":"b","data":"2"},null,{"data":"3"}]`,
		`{"command":"disconnect","payload":{"identifier":"{\"id\":1}","reconnect":false}}`,
		`{"command":"disconnect","payload":null}`,
		`{"Stream":"s","DATA":"\ud83d\ude00\ud800","offset":7,"epoch":"e"}`,
		"{\"\u017Ftream\":\"s\",\"meta\":{\"exclude_\u212Aocket\":\"k\"}}",
		`{"stream":"s","data":{"x":[1,2.5e-3,true,false,null]}}`,
		`{"stream":"s","offset":18446744073709551616}`,
		`[{"stream":"a"},]`,
		"{\"stream\":\"a\xffb\"}",
		`{}`, `[]`, `null`, `"x"`, ` `,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		pubs, cmd, err := Parse(in)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
		if err == nil && (len(pubs) == 0) == (cmd == nil) {
			t.Fatalf("want either publications or a command, got %#v, %#v", pubs, cmd)
		}
		rp, rc, rok := refParse(in)
		if rok != (err == nil) || !reflect.DeepEqual(rp, pubs) || !reflect.DeepEqual(rc, cmd) {
			t.Fatalf("Parse(%q) = %#v, %#v, %v; reference %#v, %#v, ok=%v", in, pubs, cmd, err, rp, rc, rok)
		}
	})
}
