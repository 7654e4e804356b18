package streams

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Vectors made with the Node.js snippet of the signed streams docs
// (secret "s3cr3t").
var nodeVectors = map[string]string{
	"chat/42":          "ImNoYXQvNDIi--ed3f0927d13c0c59af99f3ef776af196ea44ff640ab15cf8cf347532daed0c5f",
	"notifications/17": "Im5vdGlmaWNhdGlvbnMvMTci--746dee021137d3d057a8dfe04c17360b5eb5f5cc2fe22414a5cd8893737568a0",
}

func TestSignMatchesNode(t *testing.T) {
	for stream, want := range nodeVectors {
		if got := SignStream("s3cr3t", stream); got != want {
			t.Errorf("%s: got %s, want %s", stream, got, want)
		}
		got, err := VerifyStream("s3cr3t", want)
		if err != nil || got != stream {
			t.Errorf("verify %s: got %q, %v", stream, got, err)
		}
	}
}

func TestSignDoesNotEscapeHTML(t *testing.T) {
	signed := SignStream("k", "a<b>&c")
	data, _, _ := strings.Cut(signed, "--")
	raw, _ := base64.StdEncoding.DecodeString(data)
	if string(raw) != `"a<b>&c"` {
		t.Fatalf("payload %s", raw)
	}
}

// forge signs an arbitrary payload (not necessarily JSON) with secret.
func forge(secret, payload string) string {
	data := base64.StdEncoding.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(data))
	return data + "--" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifyRejects(t *testing.T) {
	good := SignStream("secret", "chat/1")
	data, digest, _ := strings.Cut(good, "--")
	cases := []struct {
		name   string
		signed string
		want   error
	}{
		{"empty", "", ErrMalformed},
		{"no separator", data + digest, ErrMalformed},
		{"three parts", good + "--" + digest, ErrMalformed},
		{"four dashes", data + "----" + digest, ErrMalformed},
		{"empty data", "--" + digest, ErrMalformed},
		{"empty digest", data + "--", ErrMalformed},
		{"wrong secret", SignStream("other", "chat/1"), ErrSignature},
		{"tampered data", SignStream("secret", "chat/2")[:len(data)] + "--" + digest, ErrSignature},
		{"tampered digest", data + "--" + digest[:63] + "0", ErrSignature},
		{"upper-case digest", data + "--" + strings.ToUpper(digest), ErrSignature},
		{"short digest", data + "--" + digest[:32], ErrSignature},
		{"three dashes", data + "---" + digest, ErrSignature},
		{"not base64", forgeData("secret", "!!!!"), ErrMalformed},
		{"number", forge("secret", "42"), ErrNotString},
		{"null", forge("secret", "null"), ErrNotString},
		{"array", forge("secret", `["chat/1"]`), ErrNotString},
		{"object", forge("secret", `{"stream":"chat/1"}`), ErrNotString},
		{"not json", forge("secret", "chat/1"), ErrNotString},
		{"trailing data", forge("secret", `"chat/1" x`), ErrNotString},
	}
	for _, c := range cases {
		got, err := VerifyStream("secret", c.signed)
		if !errors.Is(err, c.want) || got != "" {
			t.Errorf("%s: got %q, %v; want %v", c.name, got, err, c.want)
		}
	}
}

// forgeData signs a data part as it is, without base64-encoding it.
func forgeData(secret, data string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(data))
	return data + "--" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifyAccepts(t *testing.T) {
	cases := map[string]string{
		forge("secret", ` "padded" `):    "padded",
		forge("secret", `"a\u003cb"`):    "a<b",
		forge("secret", `""`):            "",
		SignStream("secret", "üñí/çødé"): "üñí/çødé",
	}
	for signed, want := range cases {
		got, err := VerifyStream("secret", signed)
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", signed, got, err, want)
		}
	}
}

func TestVerifyWithoutSecret(t *testing.T) {
	if _, err := VerifyStream("", SignStream("", "chat/1")); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("got %v", err)
	}
}
