package ocpp

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestParseFrame(t *testing.T) {
	for in, want := range map[string]Frame{
		`[2,"a","Authorize",{"idTag":"x"}]`:       {Type: Call, ID: "a", Action: "Authorize", Payload: []byte(`{"idTag":"x"}`)},
		` [ 3 , "\u0062" , { } ] `:                {Type: CallResult, ID: "b", Payload: []byte(`{ }`)},
		`[4,"c","NotSupported","no",{"k":[1,2]}]`: {Type: CallError, ID: "c", Code: "NotSupported", Description: "no", Payload: []byte(`{"k":[1,2]}`)},
	} {
		got, err := ParseFrame([]byte(in))
		if err != nil || !sameFrame(got, want) {
			t.Errorf("%s: got %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, code := range map[string]string{
		``:                         ErrFormationViolation,
		`[`:                        ErrFormationViolation,
		`[2.5,"a"]`:                ErrFormationViolation,
		`["2","a","A",{}]`:         ErrFormationViolation,
		`[2,"","A",{}]`:            ErrFormationViolation,
		`[2,"a",1,{}]`:             ErrFormationViolation,
		`[2,"a","A",null]`:         ErrFormationViolation,
		`[2,"a","A",{}`:            ErrFormationViolation,
		`[2,"a","A",{},]`:          ErrFormationViolation,
		`[4,"a",1,"d",{}]`:         ErrFormationViolation,
		`[4,"a","c",null,{}]`:      ErrFormationViolation,
		`[2]`:                      ErrProtocol,
		`[5,"a"]`:                  ErrProtocol,
		`[3,"a"]`:                  ErrProtocol,
		`[4,"a","c","d"]`:          ErrProtocol,
		`[2,"a","A",{}] [1]`:       ErrFormationViolation,
		`[2,"a","A",{"x":tru}]`:    ErrFormationViolation,
		`[2,"a","A",{"x":"\ud8"}]`: ErrFormationViolation,
	} {
		if _, err := ParseFrame([]byte(in)); err == nil || err.Code != code {
			t.Errorf("%q: got %v, want %s", in, err, code)
		}
	}
}

func sameFrame(a, b Frame) bool {
	return a.Type == b.Type && a.ID == b.ID && a.Action == b.Action && a.Code == b.Code &&
		a.Description == b.Description && bytes.Equal(a.Payload, b.Payload)
}

// FuzzParseFrame: the parser agrees with encoding/json (what it accepts is
// a JSON array whose elements encoding/json reads as the same type, id,
// action, code, description and payload; what encoding/json rejects, it
// rejects), and a parsed frame re-encoded with Append* parses back to
// itself.
func FuzzParseFrame(f *testing.F) {
	for _, s := range []string{
		`[2,"a","Authorize",{"idTag":"x"}]`, `[3,"b",{}]`, `[4,"c","NotSupported","no",{"k":[1,2]}]`,
		`[2,"\u00e9\n","A",{"a":"\ud83d\ude00"}]`, `[5,"a"]`, `{}`, `[2,"a","A",{}] x`, `[2, "a" ,"A" , { "b" : [ ] } ]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, ferr := ParseFrame(b)
		var elems []json.RawMessage
		jerr := json.Unmarshal(b, &elems)
		if ferr != nil {
			if ferr.Code == "" || ferr.ID == "" {
				t.Fatalf("%q: error without a code or id: %+v", b, ferr)
			}
			return
		}
		if jerr != nil {
			t.Fatalf("%q: parsed as %+v, encoding/json says %v", b, fr, jerr)
		}
		want := map[int]int{Call: 4, CallResult: 3, CallError: 5}[fr.Type]
		if len(elems) != want {
			t.Fatalf("%q: %d elements for type %d", b, len(elems), fr.Type)
		}
		var typ int
		var id string
		if json.Unmarshal(elems[0], &typ) != nil || typ != fr.Type || json.Unmarshal(elems[1], &id) != nil || id != fr.ID {
			t.Fatalf("%q: type %d id %q disagree with encoding/json", b, fr.Type, fr.ID)
		}
		strAt := func(i int) string {
			var s string
			if err := json.Unmarshal(elems[i], &s); err != nil {
				t.Fatalf("%q: element %d: %v", b, i, err)
			}
			return s
		}
		var payload json.RawMessage
		switch fr.Type {
		case Call:
			if strAt(2) != fr.Action {
				t.Fatalf("%q: action %q", b, fr.Action)
			}
			payload = elems[3]
		case CallResult:
			payload = elems[2]
		case CallError:
			if strAt(2) != fr.Code || strAt(3) != fr.Description {
				t.Fatalf("%q: code %q description %q", b, fr.Code, fr.Description)
			}
			payload = elems[4]
		}
		if !bytes.Equal(bytes.TrimSpace(payload), fr.Payload) || fr.Payload[0] != '{' {
			t.Fatalf("%q: payload %s, encoding/json %s", b, fr.Payload, payload)
		}

		var out []byte
		switch fr.Type {
		case Call:
			out = AppendCall(nil, fr.ID, fr.Action, fr.Payload)
		case CallResult:
			out = AppendResult(nil, fr.ID, fr.Payload)
		case CallError:
			out = AppendError(nil, fr.ID, fr.Code, fr.Description, fr.Payload)
		}
		back, err := ParseFrame(out)
		if err != nil || !sameFrame(back, fr) {
			t.Fatalf("%q: re-encoded %s parses as %+v, %v", b, out, back, err)
		}
	})
}
