package ocpp

import (
	"strconv"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// OCPP-J message type ids.
const (
	Call       = 2
	CallResult = 3
	CallError  = 4
)

// OCPP-J 1.6 CALLERROR codes the server sends.
const (
	ErrNotImplemented     = "NotImplemented"
	ErrProtocol           = "ProtocolError"
	ErrSecurity           = "SecurityError"
	ErrFormationViolation = "FormationViolation"
	ErrInternal           = "InternalError"
)

// maxIDLen is OCPP-J's bound on a message's unique id.
const maxIDLen = 36

// unknownID answers a frame whose own id could not be read (ocpp-rpc's
// convention, OCPP-J names none).
const unknownID = "-1"

// Frame is one OCPP-J message. Payload is the CALL or CALLRESULT payload,
// or the CALLERROR's details: raw JSON objects, slices of the input.
type Frame struct {
	Type        int
	ID          string
	Action      string // CALL
	Code        string // CALLERROR
	Description string // CALLERROR
	Payload     []byte
}

// FrameError is a frame that is not OCPP-J: Code is the CALLERROR code to
// answer with and ID the id to answer to (unknownID when it could not be
// read). Answer is false for a broken CALLRESULT or CALLERROR (OCPP-J
// answers only calls).
type FrameError struct {
	ID, Code, Msg string
	Answer        bool
}

func (e *FrameError) Error() string { return "ocpp: " + e.Code + ": " + e.Msg }

// ParseFrame reads one OCPP-J message: [2, id, action, {payload}],
// [3, id, {payload}] or [4, id, code, description, {details}].
func ParseFrame(b []byte) (Frame, *FrameError) {
	var f Frame
	bad := func(code, msg string) (Frame, *FrameError) {
		id := f.ID
		if id == "" {
			id = unknownID
		}
		answer := f.Type != CallResult && f.Type != CallError
		return Frame{}, &FrameError{ID: id, Code: code, Msg: msg, Answer: answer}
	}
	i := jsonkit.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return bad(ErrFormationViolation, "not a JSON array")
	}
	it := jsonkit.ArrIter{B: b, I: i + 1}
	n := 0 // elements read
	want := 2
	for {
		ok, err := it.Next()
		if err != nil {
			return bad(ErrFormationViolation, "malformed JSON")
		}
		if !ok {
			break
		}
		start := it.I
		end, err := jsonkit.SkipValue(b, start, 1)
		if err != nil {
			return bad(ErrFormationViolation, "malformed JSON")
		}
		v := b[start:end]
		it.I = end
		switch {
		case n == 0:
			t, err := strconv.Atoi(string(v))
			if err != nil {
				return bad(ErrFormationViolation, "message type id is not an integer")
			}
			f.Type = t
			switch t {
			case Call:
				want = 4
			case CallResult:
				want = 3
			case CallError:
				want = 5
			}
		case n == 1:
			s, ok := str(v)
			if !ok || s == "" || len(s) > maxIDLen {
				return bad(ErrFormationViolation, "unique id is not a string of 1 to 36 characters")
			}
			f.ID = s
		case n == 2 && f.Type == CallResult, n == 3 && f.Type == Call, n == 4 && f.Type == CallError:
			if v[0] != '{' {
				return bad(ErrFormationViolation, "payload is not an object")
			}
			f.Payload = v
		case n == 2 && (f.Type == Call || f.Type == CallError), n == 3 && f.Type == CallError:
			s, ok := str(v)
			if !ok {
				return bad(ErrFormationViolation, "action, error code or description is not a string")
			}
			switch {
			case f.Type == Call:
				f.Action = s
			case n == 2:
				f.Code = s
			default:
				f.Description = s
			}
		default:
			if f.Type == Call || f.Type == CallResult || f.Type == CallError {
				return bad(ErrFormationViolation, "too many elements")
			}
			// An unknown type: read on to the end, the answer is below.
		}
		n++
	}
	if jsonkit.SkipSpace(b, it.I) != len(b) {
		return bad(ErrFormationViolation, "data after the message")
	}
	if f.Type != Call && f.Type != CallResult && f.Type != CallError {
		if n < 2 {
			return bad(ErrFormationViolation, "no unique id")
		}
		return bad(ErrProtocol, "unknown message type id "+strconv.Itoa(f.Type))
	}
	if n < want {
		return bad(ErrProtocol, "message is incomplete")
	}
	return f, nil
}

// str reads a JSON string value.
func str(v []byte) (string, bool) {
	if len(v) == 0 || v[0] != '"' {
		return "", false
	}
	s, err := jsonkit.ScanString(v, 0)
	if err != nil {
		return "", false
	}
	return jsonkit.DecodeString(v, s), true
}

// emptyObject is the payload of a message that has none.
var emptyObject = []byte("{}")

// AppendCall appends [2, id, action, payload].
func AppendCall(dst []byte, id, action string, payload []byte) []byte {
	dst = append(dst, "[2,"...)
	dst = jsonkit.AppendString(dst, id)
	dst = append(dst, ',')
	dst = jsonkit.AppendString(dst, action)
	return append(append(append(dst, ','), orEmpty(payload)...), ']')
}

// AppendResult appends [3, id, payload].
func AppendResult(dst []byte, id string, payload []byte) []byte {
	dst = append(dst, "[3,"...)
	dst = jsonkit.AppendString(dst, id)
	return append(append(append(dst, ','), orEmpty(payload)...), ']')
}

// AppendError appends [4, id, code, description, details].
func AppendError(dst []byte, id, code, description string, details []byte) []byte {
	dst = append(dst, "[4,"...)
	dst = jsonkit.AppendString(dst, id)
	dst = append(dst, ',')
	dst = jsonkit.AppendString(dst, code)
	dst = append(dst, ',')
	dst = jsonkit.AppendString(dst, description)
	return append(append(append(dst, ','), orEmpty(details)...), ']')
}

func orEmpty(p []byte) []byte {
	if len(p) == 0 {
		return emptyObject
	}
	return p
}
