package rpcclient

import (
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// appendRequest appends the wire form of the three anycable request
// messages to b field by field, without proto.Marshal's reflection over the
// Env maps (a few headers and state entries per call, encoded on every
// Connect and Command). ok is false for anything it does not cover exactly
// as proto.Marshal would: another message type, unknown fields, or a string
// that is not valid UTF-8 (which proto.Marshal rejects with an error the
// caller must keep seeing); the caller then uses proto.Marshal.
//
// The bytes decode (proto.Unmarshal) to a message proto.Equal to req; the
// order of map entries is Go's map order, as with proto.Marshal.
func appendRequest(b []byte, req proto.Message) ([]byte, bool) {
	switch m := req.(type) {
	case *rpcpb.ConnectionRequest:
		if len(m.ProtoReflect().GetUnknown()) > 0 {
			return b, false
		}
		return appendEnvField(b, 3, m.Env)
	case *rpcpb.CommandMessage:
		if len(m.ProtoReflect().GetUnknown()) > 0 {
			return b, false
		}
		var ok bool
		if b, ok = appendStringField(b, 1, m.Command); !ok {
			return b, false
		}
		if b, ok = appendStringField(b, 2, m.Identifier); !ok {
			return b, false
		}
		if b, ok = appendStringField(b, 3, m.ConnectionIdentifiers); !ok {
			return b, false
		}
		if b, ok = appendStringField(b, 4, m.Data); !ok {
			return b, false
		}
		return appendEnvField(b, 5, m.Env)
	case *rpcpb.DisconnectRequest:
		if len(m.ProtoReflect().GetUnknown()) > 0 {
			return b, false
		}
		var ok bool
		if b, ok = appendStringField(b, 1, m.Identifiers); !ok {
			return b, false
		}
		for _, s := range m.Subscriptions {
			// Repeated: every element is written, empty ones too.
			if !utf8.ValidString(s) {
				return b, false
			}
			b = protowire.AppendTag(b, 2, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
		return appendEnvField(b, 5, m.Env)
	}
	return b, false
}

// appendStringField writes a proto3 singular string (absent when empty).
func appendStringField(b []byte, num protowire.Number, s string) ([]byte, bool) {
	if s == "" {
		return b, true
	}
	if !utf8.ValidString(s) {
		return b, false
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s), true
}

// appendEnvField writes env as field num; a non-nil empty Env is present
// (a zero-length field), as proto.Marshal writes it.
func appendEnvField(b []byte, num protowire.Number, env *rpcpb.Env) ([]byte, bool) {
	if env == nil {
		return b, true
	}
	if len(env.ProtoReflect().GetUnknown()) > 0 || !utf8.ValidString(env.Url) {
		return b, false
	}
	size, ok := envSize(env)
	if !ok {
		return b, false
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	if env.Url != "" {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, env.Url)
	}
	b = appendStringMap(b, 2, env.Headers)
	b = appendStringMap(b, 3, env.Cstate)
	b = appendStringMap(b, 4, env.Istate)
	return b, true
}

// envSize is the encoded length of env's fields, and whether every string
// in it is valid UTF-8.
func envSize(env *rpcpb.Env) (int, bool) {
	n := 0
	if env.Url != "" {
		n += 1 + protowire.SizeBytes(len(env.Url))
	}
	for _, m := range [...]map[string]string{env.Headers, env.Cstate, env.Istate} {
		for k, v := range m {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return 0, false
			}
			n += 1 + protowire.SizeBytes(mapEntrySize(k, v))
		}
	}
	return n, true
}

// mapEntrySize is a map entry's length: key (1) and value (2), both always
// written, as proto.Marshal does.
func mapEntrySize(k, v string) int {
	return 1 + protowire.SizeBytes(len(k)) + 1 + protowire.SizeBytes(len(v))
}

func appendStringMap(b []byte, num protowire.Number, m map[string]string) []byte {
	for k, v := range m {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(mapEntrySize(k, v)))
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, k)
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, v)
	}
	return b
}
