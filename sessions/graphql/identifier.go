package graphql

import (
	"github.com/densecable/densecable/encoders/jsonkit"
)

// identifier is the Action Cable identifier of operation id:
// {"channel":"<channel>","channelId":"<id>"}.
func (p *Protocol) identifier(id string) string {
	b := make([]byte, 0, len(p.opts.Channel)+len(id)+32)
	b = append(b, `{"channel":`...)
	b = jsonkit.AppendString(b, p.opts.Channel)
	b = append(b, `,"channelId":`...)
	b = jsonkit.AppendString(b, id)
	return string(append(b, '}'))
}

// operationID reads channelId back from an identifier ("" if it has none).
func operationID(identifier string) string {
	b := []byte(identifier)
	i := jsonkit.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return ""
	}
	return stringMember(b, i, "channelId")
}

// stringMember returns the string member key of the JSON object whose '{'
// is at b[i] ("" if absent or not a string).
func stringMember(b []byte, i int, key string) string {
	var out string
	_, _ = jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		if jsonkit.Key(b, k) == key && b[v] == '"' {
			var end int
			var err error
			out, end, err = stringAt(b, v)
			return end, err
		}
		return jsonkit.SkipValue(b, v, 1)
	})
	return out
}

// stringAt decodes the JSON string at b[v] == '"' and returns the index
// after it.
func stringAt(b []byte, v int) (string, int, error) {
	s, err := jsonkit.ScanString(b, v)
	if err != nil {
		return "", v, err
	}
	return jsonkit.DecodeString(b, s), s.End, nil
}

func appendJSONString(dst []byte, s string) []byte { return jsonkit.AppendString(dst, s) }
