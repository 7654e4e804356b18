package config

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryFlag keeps docs/configuration.md in step with the table.
func TestDocsListEveryFlag(t *testing.T) {
	data, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatalf("reading the configuration docs: %v", err)
	}
	doc := string(data)
	for i := range flagTable {
		d := &flagTable[i]
		want := "`--" + d.name + "`"
		if d.name == "" {
			want = "`" + d.toml + "`"
		}
		if !strings.Contains(doc, want) {
			t.Errorf("docs/configuration.md does not mention %s", want)
		}
		for _, env := range d.envVars() {
			if !strings.Contains(doc, env) {
				t.Errorf("docs/configuration.md does not mention %s", env)
			}
		}
	}
}
