package graphql

import (
	"errors"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// result is graphql-ruby's Action Cable payload: {result, more}.
type result struct {
	result []byte // the execution result (raw JSON); nil when absent
	more   bool   // absent means false: the operation is over
	// data, errors: the result carries data (non-null) or errors, i.e.
	// something for the client (graphql-ruby's initial subscription
	// result carries neither).
	data, errors bool
}

func (r *result) shown() bool { return r.data || r.errors }

var errNoResult = errors.New("not a {result, more} object")

// parseResult reads {result, more} from a transmission's or a broadcast's
// message.
func parseResult(b []byte) (result, error) {
	var r result
	i := jsonkit.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return r, errNoResult
	}
	seen := false
	_, err := jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		end, err := jsonkit.SkipValue(b, v, 1)
		if err != nil {
			return v, err
		}
		switch jsonkit.Key(b, k) {
		case "result":
			seen = true
			if b[v] == '{' {
				r.result = b[v:end]
				r.data, r.errors = resultMembers(r.result)
			}
		case "more":
			seen = true
			r.more = b[v] == 't'
		}
		return end, nil
	})
	if err == nil && !seen {
		err = errNoResult
	}
	return r, err
}

// resultMembers reports whether an execution result (a valid object) has
// non-null data and an errors member.
func resultMembers(b []byte) (data, errs bool) {
	_, _ = jsonkit.EachMember(b, 0, func(k jsonkit.Str, v int) (int, error) {
		switch jsonkit.Key(b, k) {
		case "data":
			data = b[v] != 'n'
		case "errors":
			errs = b[v] != 'n'
		}
		return jsonkit.SkipValue(b, v, 2)
	})
	return data, errs
}
