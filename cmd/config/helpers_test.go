package config

import (
	"io"
	"io/fs"
	"testing"
)

// memFiles is an in-memory set of configuration files.
type memFiles map[string]string

// source serves memFiles; candidates are the auto-discovery paths.
func (m memFiles) source(candidates ...string) fileSource {
	return fileSource{
		readFile: func(p string) ([]byte, error) {
			if s, ok := m[p]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		},
		candidates: candidates,
	}
}

// envOf builds an env lookup from "KEY", "value" pairs.
func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// mustRun parses with no files unless given and fails the test on error.
func mustRun(t *testing.T, args []string, env func(string) string, files ...fileSource) *Config {
	t.Helper()
	src := memFiles{}.source()
	if len(files) > 0 {
		src = files[0]
	}
	c, act, err := parse(args, env, io.Discard, src)
	if err != nil {
		t.Fatalf("parse(%q): %v", args, err)
	}
	if act != ActionRun {
		t.Fatalf("parse(%q): action %v, want run", args, act)
	}
	return c
}

// runErr parses with no files and returns the error.
func runErr(args []string, env func(string) string, files ...fileSource) error {
	src := memFiles{}.source()
	if len(files) > 0 {
		src = files[0]
	}
	_, _, err := parse(args, env, io.Discard, src)
	return err
}
