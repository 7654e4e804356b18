package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// defaultConfigPaths are tried in order when --config-path is not given.
var defaultConfigPaths = []string{"./anycable.toml", "/etc/anycable/anycable.toml"}

// fileSource is how configuration files are found and read; tests swap it.
type fileSource struct {
	readFile   func(string) ([]byte, error)
	candidates []string
}

var osFiles = fileSource{readFile: os.ReadFile, candidates: defaultConfigPaths}

// loadFile reads the TOML file chosen by c.ConfigPath / c.IgnoreConfigPath
// (or the first default path that exists) into c.
func loadFile(c *Config, src fileSource) error {
	if c.IgnoreConfigPath {
		return nil
	}
	path, data, err := findFile(c.ConfigPath, src)
	if err != nil || path == "" {
		return err
	}
	if err := decodeTOML(c, data); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	c.ConfigFile = path
	return nil
}

// findFile returns the explicit file, or the first existing default one;
// path is "" when there is none.
func findFile(explicit string, src fileSource) (path string, data []byte, err error) {
	if explicit != "" {
		data, err = src.readFile(explicit)
		if err != nil {
			return "", nil, readError(explicit, err)
		}
		return explicit, data, nil
	}
	for _, p := range src.candidates {
		data, err = src.readFile(p)
		if err == nil {
			return p, data, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", nil, readError(p, err)
		}
	}
	return "", nil, nil
}

// readError names the file once (os errors already carry the path).
func readError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("reading config file %s: %w", path, err)
}

// decodeTOML applies every known key found in data and warns about the rest.
func decodeTOML(c *Config, data []byte) error {
	raw := map[string]any{}
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return err
	}
	for i := range flagTable {
		d := &flagTable[i]
		if d.toml == "" {
			continue
		}
		v, ok := lookupKey(raw, d.toml)
		if !ok {
			continue
		}
		if err := d.setTOML(c, v); err != nil {
			return fmt.Errorf("key %q: %w", d.toml, err)
		}
		c.markExplicit(d)
	}
	var unknown []string
	collectUnknown(raw, "", &unknown)
	sort.Strings(unknown)
	for _, k := range unknown {
		c.Warnings = append(c.Warnings, fmt.Sprintf("configuration file: unknown key %q ignored", k))
	}
	return nil
}

// lookupKey descends a dotted key through nested tables.
func lookupKey(raw map[string]any, key string) (any, bool) {
	parts := strings.Split(key, ".")
	var cur any = raw
	for _, p := range parts {
		table, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = table[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// collectUnknown lists keys of raw that match no setting.
func collectUnknown(raw map[string]any, prefix string, out *[]string) {
	for k, v := range raw {
		key := prefix + k
		if _, known := byTOML[key]; known {
			continue
		}
		if sub, isTable := v.(map[string]any); isTable && tablePrefixes[key] {
			collectUnknown(sub, key+".", out)
			continue
		}
		*out = append(*out, key)
	}
}
