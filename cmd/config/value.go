package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// setText stores a flag or env value into d's field.
func (d *flagDef) setText(c *Config, s string) error {
	switch p := d.field(c).(type) {
	case *string:
		*p = s
	case *bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean (use true or false)", s)
		}
		*p = b
	case *int:
		n, err := parseCount(s)
		if err != nil {
			return err
		}
		*p = int(n)
	case *uint64:
		n, err := parseCount(s)
		if err != nil {
			return err
		}
		*p = uint64(n)
	case *[]string:
		*p = d.splitList(s)
	case *map[string]string:
		m, err := parseTags(s)
		if err != nil {
			return err
		}
		*p = m
	default:
		return fmt.Errorf("unsupported setting type %T", p)
	}
	return nil
}

// parseCount reads a non-negative decimal integer that fits in int64.
func parseCount(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%q is out of range", s)
		}
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	if n < 0 {
		return 0, fmt.Errorf("%q must not be negative", s)
	}
	return n, nil
}

// splitList splits a list value by the separator of d's kind.
func (d *flagDef) splitList(s string) []string {
	sep := ","
	if d.kind == kSemiList {
		sep = ";"
	}
	var out []string // empty lists are nil, so they print and reparse alike
	for _, item := range strings.Split(s, sep) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if d.kind == kLowerList {
			item = strings.ToLower(item)
		}
		out = append(out, item)
	}
	return out
}

// parseTags reads "k:v,k2:v2" (metrics tags).
func parseTags(s string) (map[string]string, error) {
	var m map[string]string
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("tag %q is not key:value", pair)
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = strings.TrimSpace(v)
	}
	return m, nil
}

// setTOML stores a decoded TOML value into d's field. Lists also accept a
// comma-separated string (anycable-go writes some lists that way) and tags a
// "k:v" string.
func (d *flagDef) setTOML(c *Config, v any) error {
	switch p := d.field(c).(type) {
	case *string:
		s, ok := v.(string)
		if !ok {
			return typeError("a string", v)
		}
		*p = s
	case *bool:
		b, ok := v.(bool)
		if !ok {
			return typeError("a boolean", v)
		}
		*p = b
	case *int:
		n, err := tomlCount(v)
		if err != nil {
			return err
		}
		*p = int(n)
	case *uint64:
		n, err := tomlCount(v)
		if err != nil {
			return err
		}
		*p = uint64(n)
	case *[]string:
		list, err := d.tomlList(v)
		if err != nil {
			return err
		}
		*p = list
	case *map[string]string:
		m, err := tomlTags(v)
		if err != nil {
			return err
		}
		*p = m
	default:
		return fmt.Errorf("unsupported setting type %T", p)
	}
	return nil
}

func tomlCount(v any) (int64, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, typeError("an integer", v)
	}
	if n < 0 {
		return 0, fmt.Errorf("%d must not be negative", n)
	}
	return n, nil
}

func (d *flagDef) tomlList(v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return d.splitList(t), nil
	case []any:
		var out []string
		for _, item := range t {
			s, ok := item.(string)
			if !ok {
				return nil, typeError("an array of strings", v)
			}
			if d.kind == kLowerList {
				s = strings.ToLower(s)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, typeError("an array of strings", v)
}

func tomlTags(v any) (map[string]string, error) {
	switch t := v.(type) {
	case string:
		return parseTags(t)
	case map[string]any:
		var m map[string]string
		for k, item := range t {
			s, ok := item.(string)
			if !ok {
				return nil, typeError("a table of strings", v)
			}
			if m == nil {
				m = map[string]string{}
			}
			m[k] = s
		}
		return m, nil
	}
	return nil, typeError("a table of strings", v)
}

func typeError(want string, got any) error {
	return fmt.Errorf("expected %s, got %s", want, tomlTypeName(got))
}

func tomlTypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}
