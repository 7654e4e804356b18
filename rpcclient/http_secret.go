package rpcclient

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// httpSecretPhrase is the message signed with the application secret to get
// the HTTP RPC token; the RPC server libraries derive the same value.
const httpSecretPhrase = "rpc-cable"

// DeriveHTTPSecret returns the HTTP RPC Bearer token used when
// http_rpc_secret is not set: lowercase hex HMAC-SHA256 keyed with the
// application secret over "rpc-cable". An empty appSecret gives "".
func DeriveHTTPSecret(appSecret string) string {
	if appSecret == "" {
		return ""
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(httpSecretPhrase))
	return hex.EncodeToString(mac.Sum(nil))
}
