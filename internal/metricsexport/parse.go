package metricsexport

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Line is one parsed StatsD line.
type Line struct {
	Name  string // with the prefix
	Type  string // "c" or "g"
	Value int64
	Tags  map[string]string
}

// ParseDatagram reads a datagram of newline-terminated StatsD lines in a
// tag format (datadog, influxdb, graphite). It is the reading side of
// Statsd, for tests and the fuzz target: a StatsD server's view.
func ParseDatagram(format string, gram []byte) ([]Line, error) {
	if len(gram) == 0 || gram[len(gram)-1] != '\n' {
		return nil, errors.New("datagram not newline-terminated")
	}
	var out []Line
	for _, raw := range strings.Split(string(gram[:len(gram)-1]), "\n") {
		l, err := parseLine(format, raw)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", raw, err)
		}
		out = append(out, l)
	}
	return out, nil
}

func parseLine(format, raw string) (Line, error) {
	l := Line{Tags: map[string]string{}}
	body := raw
	tagSep, kvSep := map[string]string{"influxdb": ",", "graphite": ";", "datadog": ","}[format], "="
	if tagSep == "" {
		return l, fmt.Errorf("unknown format %s", format)
	}
	if format == "datadog" {
		kvSep = ":"
		if i := strings.Index(body, "|#"); i >= 0 {
			if err := parseTags(l.Tags, strings.Split(body[i+2:], tagSep), kvSep); err != nil {
				return l, err
			}
			body = body[:i]
		}
	}
	i := strings.LastIndexByte(body, ':')
	if i < 0 {
		return l, errors.New("no ':'")
	}
	head, rest := body[:i], body[i+1:]
	val, typ, ok := strings.Cut(rest, "|")
	if !ok || (typ != "c" && typ != "g") {
		return l, errors.New("bad type")
	}
	v, err := strconv.ParseInt(val, 10, 64)
	if err != nil {
		return l, err
	}
	l.Value, l.Type, l.Name = v, typ, head
	if format != "datadog" {
		parts := strings.Split(head, tagSep)
		l.Name = parts[0]
		if err := parseTags(l.Tags, parts[1:], kvSep); err != nil {
			return l, err
		}
	}
	if l.Name == "" {
		return l, errors.New("empty name")
	}
	return l, nil
}

func parseTags(into map[string]string, kvs []string, sep string) error {
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, sep)
		if !ok || k == "" {
			return fmt.Errorf("bad tag %q", kv)
		}
		into[k] = v
	}
	return nil
}
