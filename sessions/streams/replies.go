package streams

import "encoding/json"

// reply is a subscription answer; the field order is the wire order.
type reply struct {
	Type       string `json:"type"`
	Identifier string `json:"identifier"`
}

func confirmJSON(identifier string) string { return replyJSON("confirm_subscription", identifier) }

func rejectJSON(identifier string) string { return replyJSON("reject_subscription", identifier) }

func replyJSON(typ, identifier string) string {
	b, _ := json.Marshal(reply{Type: typ, Identifier: identifier})
	return string(b)
}
