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
	var id string
	_, _ = jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		if string(k.Raw(b)) == "channelId" && b[v] == '"' {
			s, err := jsonkit.ScanString(b, v)
			if err != nil {
				return v, err
			}
			id = jsonkit.DecodeString(b, s)
			return s.End, nil
		}
		return jsonkit.SkipValue(b, v, 1)
	})
	return id
}

func appendJSONString(dst []byte, s string) []byte { return jsonkit.AppendString(dst, s) }
