package config

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// noneSecret is the value that means "explicitly empty, do not derive".
const noneSecret = "none"

// Messages signed with the application secret to derive per-purpose keys;
// the AnyCable RPC/broadcast libraries derive the same values.
const (
	broadcastKeyPhrase = "broadcast-cable"
	rpcSecretPhrase    = "rpc-cable"
	apiSecretPhrase    = "api-cable"
)

// DeriveSecret returns lowercase hex HMAC-SHA256 keyed with secret over
// phrase, or "" when secret is empty.
func DeriveSecret(secret, phrase string) string {
	if secret == "" {
		return ""
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(phrase))
	return hex.EncodeToString(mac.Sum(nil))
}

// inherit resolves a secret that defaults to the application secret as-is.
func inherit(v, appSecret string) string {
	switch v {
	case noneSecret:
		return ""
	case "":
		return appSecret
	}
	return v
}

// derived resolves a secret that defaults to HMAC(appSecret, phrase).
func derived(v, appSecret, phrase string) string {
	switch v {
	case noneSecret:
		return ""
	case "":
		return DeriveSecret(appSecret, phrase)
	}
	return v
}

// resolveSecrets fills every secret from --secret unless set or "none".
func (c *Config) resolveSecrets() {
	if c.Secret == noneSecret {
		c.Secret = ""
	}
	app := c.Secret
	c.Streams.Secret = inherit(c.Streams.Secret, app)
	c.JWT.Secret = inherit(c.JWT.Secret, app)
	c.Pusher.Secret = inherit(c.Pusher.Secret, app)

	key := c.Broadcast.Key
	if key == "" {
		key = c.Broadcast.HTTPSecret // deprecated alias
	}
	c.Broadcast.Key = derived(key, app, broadcastKeyPhrase)
	c.RPC.HTTPSecret = derived(c.RPC.HTTPSecret, app, rpcSecretPhrase)
	if c.API.Secret == "" { // "none" is not special for the API secret
		c.API.Secret = DeriveSecret(app, apiSecretPhrase)
	}

	// Turbo and CableReady default to the (resolved) streams secret.
	if c.Streams.TurboStreamsSecret == "" {
		c.Streams.TurboStreamsSecret = c.Streams.Secret
	}
	if c.Streams.CableReadySecret == "" {
		c.Streams.CableReadySecret = c.Streams.Secret
	}
}
