package ocpp

import (
	"github.com/densecable/densecable/encoders/jsonkit"
)

// command is the application's side of a message: a transmission
// ({"command":"Ack","id":..,"payload":..}) or a broadcast command
// ({"command":"TriggerMessage","id":..,"payload":..}).
type command struct {
	command, id string
	payload     []byte // raw JSON object or nil
}

// parseCommand reads a command object; ok is false for anything else.
func parseCommand(b []byte) (c command, ok bool) {
	i := jsonkit.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return c, false
	}
	end, err := jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		end, err := jsonkit.SkipValue(b, v, 1)
		if err != nil {
			return end, err
		}
		switch jsonkit.Key(b, k) {
		case "command":
			c.command, _ = str(b[v:end])
		case "id":
			c.id, _ = str(b[v:end])
		case "payload":
			if b[v] == '{' {
				c.payload = b[v:end]
			}
		}
		return end, nil
	})
	if err != nil || jsonkit.SkipSpace(b, end) != len(b) {
		return command{}, false
	}
	return c, true
}

// stringMember reads a string member of a JSON object ("" when absent).
func stringMember(obj []byte, key string) string {
	var out string
	if len(obj) == 0 || obj[0] != '{' {
		return ""
	}
	_, _ = jsonkit.EachMember(obj, 0, func(k jsonkit.Str, v int) (int, error) {
		end, err := jsonkit.SkipValue(obj, v, 1)
		if err == nil && jsonkit.Key(obj, k) == key {
			out, _ = str(obj[v:end])
		}
		return end, err
	})
	return out
}

// validAction: an OCPP action name (letters and digits, starting with a
// letter, at most 64), so that its snake_case is a plain method name.
func validAction(a string) bool {
	if a == "" || len(a) > 64 {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// snake turns an OCPP action into its channel action: BootNotification →
// boot_notification, GetCompositeSchedule → get_composite_schedule.
func snake(a string) string {
	out := make([]byte, 0, len(a)+4)
	for i := 0; i < len(a); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			if i > 0 {
				prev := a[i-1]
				nextLower := i+1 < len(a) && 'a' <= a[i+1] && a[i+1] <= 'z'
				if 'a' <= prev && prev <= 'z' || '0' <= prev && prev <= '9' || ('A' <= prev && prev <= 'Z' && nextLower) {
					out = append(out, '_')
				}
			}
			c += 'a' - 'A'
		}
		out = append(out, c)
	}
	return string(out)
}
