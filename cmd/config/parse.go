package config

import (
	"fmt"
	"io"
)

// Action tells the caller what to do after Parse.
type Action int

const (
	// ActionRun: start the server with the returned config.
	ActionRun Action = iota
	// ActionHelp: usage was written to stdout; exit 0.
	ActionHelp
	// ActionVersion: the version was written to stdout; exit 0.
	ActionVersion
	// ActionPrintConfig: the effective config was written to stdout as
	// TOML; exit 0.
	ActionPrintConfig
)

// Parse builds the effective configuration from command-line arguments
// (without the program name), an environment lookup (os.Getenv in main) and
// the TOML file, with precedence flag > env > file > default, then
// finalizes it. For -h, -v and --print-config it writes the output to stdout
// and returns the matching Action (the Config is nil for help and version).
// An error names the offending flag, env var or file key; the caller prints
// it and exits 1. Parse reads files but touches no other process state.
func Parse(args []string, env func(string) string, stdout io.Writer) (*Config, Action, error) {
	if stdout == nil {
		stdout = io.Discard
	}
	return parse(args, env, stdout, osFiles)
}

func parse(args []string, env func(string) string, stdout io.Writer, files fileSource) (*Config, Action, error) {
	cli, err := scanArgs(args)
	if err != nil {
		return nil, ActionRun, err
	}
	if cli.help {
		return nil, ActionHelp, Usage(stdout)
	}
	if cli.version {
		_, err := fmt.Fprintln(stdout, Version)
		return nil, ActionVersion, err
	}

	c := Default()
	// The file location comes from the command line only, so read it first.
	for _, s := range cli.sets {
		if s.def.name == "config-path" || s.def.name == "ignore-config-path" {
			if err := s.def.setText(c, s.value); err != nil {
				return nil, ActionRun, fmt.Errorf("invalid value for flag --%s: %w", s.flag, err)
			}
		}
	}
	if err := loadFile(c, files); err != nil {
		return nil, ActionRun, err
	}
	if err := applyEnv(c, env); err != nil {
		return nil, ActionRun, err
	}
	if err := cli.apply(c); err != nil {
		return nil, ActionRun, err
	}
	if err := c.Finalize(env); err != nil {
		return nil, ActionRun, err
	}
	if cli.printConfig {
		return c, ActionPrintConfig, c.WriteTOML(stdout)
	}
	return c, ActionRun, nil
}
