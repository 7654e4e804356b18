// Package config holds densecable's configuration: every anycable-go 1.6.16
// flag (OSS and Pro), its ANYCABLE_* environment variable and its key in the
// TOML file, with the same precedence (flag > env > file > default), the same
// derived values (secrets, presets, ports) and the same deprecation rules.
//
// Parse is the entry point for the binary; it touches no process-global
// state (arguments, environment and output are passed in), so it can be
// tested and fuzzed freely. The flag table in flags.go is the single source
// of truth for names, env vars, TOML keys, help text and visibility.
package config
