package encoders

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/densecable/densecable/encoders/jsonkit"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

func TestMsgpackCodesMatchLibrary(t *testing.T) {
	pairs := []struct {
		ours   byte
		theirs byte
	}{
		{mpPosFixNumHigh, msgpcode.PosFixedNumHigh}, {mpFixMapLow, msgpcode.FixedMapLow}, {mpFixMapHigh, msgpcode.FixedMapHigh},
		{mpFixArrayLow, msgpcode.FixedArrayLow}, {mpFixArrayHigh, msgpcode.FixedArrayHigh}, {mpFixStrLow, msgpcode.FixedStrLow},
		{mpFixStrHigh, msgpcode.FixedStrHigh}, {mpNil, msgpcode.Nil}, {mpFalse, msgpcode.False}, {mpTrue, msgpcode.True},
		{mpBin8, msgpcode.Bin8}, {mpBin16, msgpcode.Bin16}, {mpBin32, msgpcode.Bin32}, {mpExt8, msgpcode.Ext8},
		{mpExt16, msgpcode.Ext16}, {mpExt32, msgpcode.Ext32}, {mpFloat, msgpcode.Float}, {mpDouble, msgpcode.Double},
		{mpUint8, msgpcode.Uint8}, {mpUint16, msgpcode.Uint16}, {mpUint32, msgpcode.Uint32}, {mpUint64, msgpcode.Uint64},
		{mpInt8, msgpcode.Int8}, {mpInt16, msgpcode.Int16}, {mpInt32, msgpcode.Int32}, {mpInt64, msgpcode.Int64},
		{mpFixExt1, msgpcode.FixExt1}, {mpFixExt16, msgpcode.FixExt16}, {mpStr8, msgpcode.Str8}, {mpStr16, msgpcode.Str16},
		{mpStr32, msgpcode.Str32}, {mpArray16, msgpcode.Array16}, {mpArray32, msgpcode.Array32}, {mpMap16, msgpcode.Map16},
		{mpMap32, msgpcode.Map32}, {mpNegFixNumLow, msgpcode.NegFixedNumLow},
	}
	for _, p := range pairs {
		if p.ours != p.theirs {
			t.Errorf("code 0x%02x, library 0x%02x", p.ours, p.theirs)
		}
	}
}

// The writers produce the same (smallest) encodings as the library.
func TestMsgpackWritersMatchLibrary(t *testing.T) {
	for _, n := range []int64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64} {
		var buf bytes.Buffer
		enc := msgpack.NewEncoder(&buf)
		enc.UseCompactInts(true)
		if err := enc.EncodeInt(n); err != nil {
			t.Fatal(err)
		}
		if got := appendMsgpackInt(nil, n); !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("int %d: % x, library % x", n, got, buf.Bytes())
		}
	}
	for _, n := range []int{0, 31, 32, 255, 256, 65535, 65536} {
		s := strings.Repeat("x", n)
		want, _ := msgpack.Marshal(s)
		if got := appendMsgpackString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("string of %d: header % x, library % x", n, got[:min(5, len(got))], want[:min(5, len(want))])
		}
	}
	for _, n := range []int{0, 15, 16, 65535, 65536} {
		var a, m bytes.Buffer
		_ = msgpack.NewEncoder(&a).EncodeArrayLen(n)
		_ = msgpack.NewEncoder(&m).EncodeMapLen(n)
		if got := appendMsgpackArrayHeader(nil, n); !bytes.Equal(got, a.Bytes()) {
			t.Errorf("array %d: % x, library % x", n, got, a.Bytes())
		}
		if got := appendMsgpackMapHeader(nil, n); !bytes.Equal(got, m.Bytes()) {
			t.Errorf("map %d: % x, library % x", n, got, m.Bytes())
		}
	}
}

// mpKeys lists a msgpack map's keys in wire order, read with the library.
func mpKeys(t *testing.T, b []byte) []string {
	t.Helper()
	d := msgpack.NewDecoder(bytes.NewReader(b))
	n, err := d.DecodeMapLen()
	if err != nil {
		t.Fatalf("% x: %v", b, err)
	}
	keys := make([]string, n)
	for i := range keys {
		if keys[i], err = d.DecodeString(); err != nil {
			t.Fatal(err)
		}
		if err := d.Skip(); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// normalize turns library-decoded msgpack values into what json.Unmarshal
// produces (float64 numbers, map[string]any).
func normalize(v any) any {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.Map:
		out := map[string]any{}
		for _, k := range rv.MapKeys() {
			out[k.Interface().(string)] = normalize(rv.MapIndex(k).Interface())
		}
		return out
	case reflect.Slice:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = normalize(rv.Index(i).Interface())
		}
		return out
	}
	return v
}

// mpEqualsJSON checks that msgpack b holds the same value as JSON text j.
func mpEqualsJSON(b []byte, j string) error {
	var got, want any
	if err := msgpack.Unmarshal(b, &got); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(j), &want); err != nil {
		return err
	}
	if !reflect.DeepEqual(normalize(got), want) {
		return &mismatch{normalize(got), want}
	}
	return nil
}

type mismatch struct{ got, want any }

func (m *mismatch) Error() string {
	g, _ := json.Marshal(m.got)
	w, _ := json.Marshal(m.want)
	return "msgpack holds " + string(g) + ", want " + string(w)
}

func replySamples() []Reply {
	return []Reply{
		{Type: "welcome", Sid: "abc"},
		{Type: "welcome", Sid: "s2", Restored: true, RestoredIDs: []string{"a", "b"}},
		{Type: "confirm_subscription", Identifier: `{"channel":"ChatChannel"}`},
		{Type: "reject_history", Identifier: "x"},
		{Type: "pong"},
		{Identifier: "x", Message: []byte(`{"a":1,"b":[1.5,-2,"s",null,true,false,{}],"c":"\u003c\u00e9"}`)},
		{Identifier: "x", Message: []byte(`"hello"`), StreamID: "s", Epoch: "e", Offset: 1 << 40},
		{Identifier: "x", Message: []byte(`12345678901234567000`)},
		{Type: "presence", Identifier: "x", Message: []byte(`{"id":"u1","info":{"name":"J"},"type":"join"}`)},
		{Type: "disconnect", Reason: "server_restart", Reconnect: true},
		{Identifier: strings.Repeat("i", 300), Message: []byte(`"` + strings.Repeat("m", 70000) + `"`)},
	}
}

func TestMsgpackAppendReply(t *testing.T) {
	enc := NewMsgpack()
	for _, r := range replySamples() {
		want, _ := NewJSON().AppendReply(nil, &r)
		got, err := enc.AppendReply([]byte{0xff}, &r)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != 0xff {
			t.Fatal("prefix overwritten")
		}
		if err := mpEqualsJSON(got[1:], string(want)); err != nil {
			t.Errorf("%.80s: %v", want, err)
		}
		var jsonKeys []string
		dec := json.NewDecoder(bytes.NewReader(want))
		dec.Token()
		for dec.More() {
			k, _ := dec.Token()
			jsonKeys = append(jsonKeys, k.(string))
			var skip json.RawMessage
			_ = dec.Decode(&skip)
		}
		if keys := mpKeys(t, got[1:]); !reflect.DeepEqual(keys, jsonKeys) {
			t.Errorf("key order %v, JSON %v", keys, jsonKeys)
		}
	}
	if _, err := enc.AppendReply(nil, &Reply{Message: []byte(`{bad`)}); err == nil {
		t.Error("invalid message JSON accepted")
	}
}

func TestMsgpackControlMessages(t *testing.T) {
	enc := NewMsgpack()
	b, _ := enc.AppendDisconnect(nil, "unauthorized", false)
	if err := mpEqualsJSON(b, `{"type":"disconnect","reason":"unauthorized","reconnect":false}`); err != nil {
		t.Error(err)
	}
	if k := mpKeys(t, b); !reflect.DeepEqual(k, []string{"type", "reason", "reconnect"}) {
		t.Errorf("disconnect keys %v", k)
	}
	b, _ = enc.AppendPing(nil, 1700000000)
	if err := mpEqualsJSON(b, `{"type":"ping","message":1700000000}`); err != nil {
		t.Error(err)
	}
	tr := `{"type":"welcome", "custom":[1,{"z":"y"}],"message":{"x":1.25}}`
	b, err := enc.AppendTransmission(nil, tr)
	if err != nil {
		t.Fatal(err)
	}
	if err := mpEqualsJSON(b, tr); err != nil {
		t.Error(err)
	}
	if k := mpKeys(t, b); !reflect.DeepEqual(k, []string{"type", "custom", "message"}) {
		t.Errorf("transmission keys %v", k)
	}
	if _, err := enc.AppendTransmission(nil, `{"type":`); err == nil {
		t.Error("invalid transmission accepted")
	}
	if enc.ID() != "msgpack" || enc.FrameType() != BinaryFrame {
		t.Errorf("ID/FrameType = %q/%d", enc.ID(), enc.FrameType())
	}
}

func TestMsgpackDecode(t *testing.T) {
	enc := NewMsgpack()
	var m Message
	in, _ := msgpack.Marshal(map[string]any{"command": "message", "identifier": `{"channel":"C"}`, "data": `{"action":"x"}`})
	if err := enc.Decode(in, &m); err != nil {
		t.Fatal(err)
	}
	if m.Command != "message" || m.Identifier != `{"channel":"C"}` || !m.DataIsString || m.Data != `{"action":"x"}` {
		t.Errorf("decoded %+v", m)
	}

	in, _ = msgpack.Marshal(map[string]any{"command": "whisper", "identifier": "x", "data": map[string]any{"n": []any{1, -2, 2.5, "s", nil, true}}})
	if err := enc.Decode(in, &m); err != nil {
		t.Fatal(err)
	}
	if m.DataIsString || string(m.RawData) != `{"n":[1,-2,2.5,"s",null,true]}` {
		t.Errorf("decoded %+v raw %s", m, m.RawData)
	}

	in, _ = msgpack.Marshal(map[string]any{"command": "history", "identifier": "x", "history": map[string]any{
		"since": 1700000000, "streams": map[string]any{"s": map[string]any{"epoch": "e", "offset": uint64(7)}}}})
	if err := enc.Decode(in, &m); err != nil {
		t.Fatal(err)
	}
	if m.History == nil || m.History.Since != 1700000000 || m.History.Streams["s"] != (StreamPosition{"e", 7}) {
		t.Errorf("history %+v", m.History)
	}

	in, _ = msgpack.Marshal(map[string]any{"command": "join", "identifier": "x", "extra": []any{1, map[string]any{}},
		"presence": map[string]any{"id": "u1", "info": map[string]any{"name": "<J>"}}})
	if err := enc.Decode(in, &m); err != nil {
		t.Fatal(err)
	}
	if m.Presence == nil || m.Presence.ID != "u1" || string(m.Presence.Info) != `{"name":"\u003cJ\u003e"}` {
		t.Errorf("presence %+v", m.Presence)
	}

	// Invalid UTF-8 is repaired the way the JSON decoder repairs it.
	in, _ = msgpack.Marshal(map[string]any{"identifier": "a\xffb"})
	if err := enc.Decode(in, &m); err != nil || m.Identifier != "a\uFFFDb" {
		t.Errorf("identifier %q, err %v", m.Identifier, err)
	}
}

func TestMsgpackDecodeErrors(t *testing.T) {
	enc := NewMsgpack()
	nan, _ := msgpack.Marshal(map[string]any{"data": math.NaN()})
	intKey, _ := msgpack.Marshal(map[string]any{"data": map[int]int{1: 2}})
	wrongCmd, _ := msgpack.Marshal(map[string]any{"command": 1})
	wrongSince, _ := msgpack.Marshal(map[string]any{"history": map[string]any{"since": "x"}})
	fracSince, _ := msgpack.Marshal(map[string]any{"history": map[string]any{"since": 1.5}})
	negOffset, _ := msgpack.Marshal(map[string]any{"history": map[string]any{"streams": map[string]any{"s": map[string]any{"offset": -1}}}})
	ext, _ := msgpack.Marshal(map[string]any{"data": msgpack.RawMessage{0xd4, 0x01, 0x00}})
	good, _ := msgpack.Marshal(map[string]any{"command": "subscribe", "identifier": "x"})
	bad := map[string][]byte{
		"empty":             {},
		"not a map":         {0x91, 0x01},
		"truncated":         good[:len(good)-1],
		"trailing":          append(append([]byte{}, good...), 0xc0),
		"forged map32":      {0xdf, 0xff, 0xff, 0xff, 0xff},
		"forged str32":      {0x81, 0xa4, 'd', 'a', 't', 'a', 0xdb, 0xff, 0xff, 0xff, 0xff, 'x'},
		"forged array32":    {0x81, 0xa4, 'd', 'a', 't', 'a', 0xdd, 0x7f, 0xff, 0xff, 0xff},
		"forged ext32":      {0x81, 0xa1, 'x', 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01},
		"reserved code":     {0x81, 0xa1, 'x', 0xc1},
		"NaN data":          nan,
		"int map key":       intKey,
		"command type":      wrongCmd,
		"since type":        wrongSince,
		"fractional since":  fracSince,
		"negative offset":   negOffset,
		"ext in data":       ext,
		"deep nesting":      append([]byte{0x81, 0xa4, 'd', 'a', 't', 'a'}, append(bytes.Repeat([]byte{0x91}, jsonkit.MaxDepth), 0xc0)...),
		"deep nesting skip": append([]byte{0x81, 0xa1, 'x'}, append(bytes.Repeat([]byte{0x91}, jsonkit.MaxDepth+1), 0xc0)...),
	}
	var m Message
	for name, in := range bad {
		if err := enc.Decode(in, &m); err == nil {
			t.Errorf("%s: no error for % x", name, in[:min(len(in), 16)])
		}
	}
}
