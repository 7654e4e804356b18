package encoders

import (
	"fmt"
	"math"
	"strconv"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// parseTransmission reads an RPC transmission (a JSON object) into r, for
// formats that need the fields rather than the text. Strings without escapes
// and the message value point into msg, so the common case does not allocate.
// Unknown keys are ignored; a known key with a value of the wrong type is an
// error.
func parseTransmission(msg string, r *Reply) error {
	i := jsonkit.SkipSpace(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return fmt.Errorf("encoders: transmission is not a JSON object")
	}
	i = jsonkit.SkipSpace(msg, i+1)
	if i < len(msg) && msg[i] == '}' {
		return expectEnd(jsonkit.StringBytes(msg), i+1)
	}
	for {
		if i >= len(msg) || msg[i] != '"' {
			return jsonkit.SyntaxErrAt(i)
		}
		si, err := jsonkit.ScanString(msg, i)
		if err != nil {
			return err
		}
		key := msg[si.Body : si.End-1]
		i = jsonkit.SkipSpace(msg, si.End)
		if i >= len(msg) || msg[i] != ':' {
			return jsonkit.SyntaxErrAt(i)
		}
		i = jsonkit.SkipSpace(msg, i+1)
		if i, err = transmissionField(msg, i, key, r); err != nil {
			return fmt.Errorf("encoders: transmission: %w", err)
		}
		i = jsonkit.SkipSpace(msg, i)
		if i >= len(msg) {
			return jsonkit.SyntaxErrAt(i)
		}
		if msg[i] == '}' {
			if jsonkit.SkipSpace(msg, i+1) != len(msg) {
				return jsonkit.SyntaxErrAt(i + 1)
			}
			return nil
		}
		if msg[i] != ',' {
			return jsonkit.SyntaxErrAt(i)
		}
		i = jsonkit.SkipSpace(msg, i+1)
	}
}

func transmissionField(msg string, i int, key string, r *Reply) (int, error) {
	switch key {
	case "type":
		return jsonStringAt(msg, i, key, &r.Type)
	case "identifier":
		return jsonStringAt(msg, i, key, &r.Identifier)
	case "reason":
		return jsonStringAt(msg, i, key, &r.Reason)
	case "stream_id":
		return jsonStringAt(msg, i, key, &r.StreamID)
	case "epoch":
		return jsonStringAt(msg, i, key, &r.Epoch)
	case "sid":
		return jsonStringAt(msg, i, key, &r.Sid)
	case "reconnect":
		return jsonBoolAt(msg, i, key, &r.Reconnect)
	case "restored":
		return jsonBoolAt(msg, i, key, &r.Restored)
	case "offset":
		return jsonOffsetAt(msg, i, &r.Offset)
	case "restored_ids":
		return jsonStringsAt(msg, i, &r.RestoredIDs)
	case "message":
		end, err := jsonkit.SkipValue(jsonkit.StringBytes(msg), i, 1)
		if err != nil {
			return end, err
		}
		r.Message = nil
		if msg[i] != 'n' {
			r.Message = jsonkit.StringBytes(msg[i:end])
		}
		return end, nil
	}
	return jsonkit.SkipValue(jsonkit.StringBytes(msg), i, 1)
}

func jsonStringAt(msg string, i int, field string, dst *string) (int, error) {
	if i < len(msg) && msg[i] == 'n' {
		*dst = ""
		return jsonkit.ScanLiteral(msg, i, "null")
	}
	if i >= len(msg) || msg[i] != '"' {
		return i, fmt.Errorf("%w for %q", errJSONType, field)
	}
	si, err := jsonkit.ScanString(msg, i)
	if err != nil {
		return i, err
	}
	body := msg[si.Body : si.End-1]
	if si.Verbatim() {
		*dst = body
	} else {
		*dst = string(jsonkit.AppendUnescaped(nil, body, si))
	}
	return si.End, nil
}

func jsonBoolAt(msg string, i int, field string, dst *bool) (int, error) {
	if i < len(msg) {
		if lit, v, ok := jsonkit.BoolLiteral(msg[i]); ok {
			*dst = v
			return jsonkit.ScanLiteral(msg, i, lit)
		}
	}
	return i, fmt.Errorf("%w for %q", errJSONType, field)
}

func jsonOffsetAt(msg string, i int, dst *uint64) (int, error) {
	if i < len(msg) && msg[i] == 'n' {
		*dst = 0
		return jsonkit.ScanLiteral(msg, i, "null")
	}
	end, integer, err := jsonkit.ScanNumber(msg, i)
	if err != nil {
		return end, fmt.Errorf("%w for \"offset\"", errJSONType)
	}
	lit := msg[i:end]
	if integer {
		if n, err := strconv.ParseUint(lit, 10, 64); err == nil && n <= math.MaxInt64 {
			*dst = n
			return end, nil
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || f < 0 || f >= math.MaxInt64 || f != math.Trunc(f) {
		return end, fmt.Errorf("%w for \"offset\": %s", errJSONType, lit)
	}
	*dst = uint64(f)
	return end, nil
}

func jsonStringsAt(msg string, i int, dst *[]string) (int, error) {
	if i < len(msg) && msg[i] == 'n' {
		*dst = nil
		return jsonkit.ScanLiteral(msg, i, "null")
	}
	if i >= len(msg) || msg[i] != '[' {
		return i, fmt.Errorf("%w for \"restored_ids\"", errJSONType)
	}
	*dst = (*dst)[:0]
	i = jsonkit.SkipSpace(msg, i+1)
	if i < len(msg) && msg[i] == ']' {
		return i + 1, nil
	}
	for {
		var s string
		var err error
		if i, err = jsonStringAt(msg, i, "restored_ids", &s); err != nil {
			return i, err
		}
		*dst = append(*dst, s)
		i = jsonkit.SkipSpace(msg, i)
		if i >= len(msg) {
			return i, jsonkit.SyntaxErrAt(i)
		}
		switch msg[i] {
		case ',':
			i = jsonkit.SkipSpace(msg, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, jsonkit.SyntaxErrAt(i)
		}
	}
}
