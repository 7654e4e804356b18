package config

import (
	"strings"
	"testing"
)

// --reuse_port is read from the flag, the env var and the file, and is off
// by default (a second process on a taken port must fail, not share it).
func TestReusePort(t *testing.T) {
	if c := mustRun(t, nil, envOf()); c.Server.ReusePort {
		t.Error("on by default")
	}
	if c := mustRun(t, []string{"--reuse_port"}, envOf()); !c.Server.ReusePort {
		t.Error("flag ignored")
	}
	if c := mustRun(t, nil, envOf("ANYCABLE_REUSE_PORT", "true")); !c.Server.ReusePort {
		t.Error("env ignored")
	}
	files := memFiles{"a.toml": "[server]\nreuse_port = true\n"}.source()
	if c := mustRun(t, []string{"--config-path=a.toml"}, envOf(), files); !c.Server.ReusePort {
		t.Error("file ignored")
	}
	if _, out := printConfig(t, []string{"--reuse_port"}, envOf()); !strings.Contains(out, "reuse_port = true") {
		t.Errorf("print-config does not show reuse_port:\n%s", out)
	}
}
