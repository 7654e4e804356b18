package config

import (
	"fmt"
	"strconv"
	"strings"
)

// assignment is one flag occurrence on the command line.
type assignment struct {
	def   *flagDef
	flag  string // as typed, without dashes (for messages)
	value string
}

// cliArgs is the command line split into settings and actions.
type cliArgs struct {
	sets        []assignment
	help        bool
	version     bool
	printConfig bool
}

// scanArgs reads urfave/cli-style arguments: -flag or --flag, a value either
// after "=" or as the next argument, booleans bare or with "=true|false".
// Unlike the Go flag package it rejects stray positional arguments instead
// of silently ignoring everything after them.
func scanArgs(args []string) (cliArgs, error) {
	var out cliArgs
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			if i+1 < len(args) {
				return out, fmt.Errorf("unexpected argument %q", args[i+1])
			}
			break
		}
		name, ok := trimDashes(arg)
		if !ok {
			return out, fmt.Errorf("unexpected argument %q (flags start with - or --)", arg)
		}
		name, value, hasValue := strings.Cut(name, "=")
		if name == "" || strings.HasPrefix(name, "-") {
			return out, fmt.Errorf("bad flag syntax: %s", arg)
		}
		d, known := byFlag[name]
		if !known {
			return out, fmt.Errorf("unknown flag: --%s", name)
		}
		if d.kind == kBool {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 >= len(args) {
				return out, fmt.Errorf("flag needs an argument: --%s", name)
			}
			i++
			value = args[i]
		}
		if d.special != notSpecial {
			on, err := strconv.ParseBool(value)
			if err != nil {
				return out, fmt.Errorf("invalid value %q for flag --%s: not a boolean", value, name)
			}
			switch d.special {
			case specialHelp:
				out.help = out.help || on
			case specialVersion:
				out.version = out.version || on
			case specialPrintConfig:
				out.printConfig = on
			}
			continue
		}
		out.sets = append(out.sets, assignment{def: d, flag: name, value: value})
	}
	return out, nil
}

// trimDashes strips one or two leading dashes; ok is false for non-flags.
func trimDashes(arg string) (string, bool) {
	if len(arg) < 2 || arg[0] != '-' {
		return "", false
	}
	if arg[1] == '-' {
		return arg[2:], true
	}
	return arg[1:], true
}

// apply stores the command-line values into c, marking them explicit.
func (a cliArgs) apply(c *Config) error {
	for _, s := range a.sets {
		if err := s.def.setText(c, s.value); err != nil {
			return fmt.Errorf("invalid value for flag --%s: %w", s.flag, err)
		}
		c.markExplicit(s.def)
	}
	return nil
}
