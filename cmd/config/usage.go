package config

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Usage writes the -h text: every shown flag grouped by area, with its
// default and env vars. Hidden and deprecated flags are accepted but not
// listed.
func Usage(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "NAME:\n   densecable - AnyCable-compatible real-time server\n\n")
	fmt.Fprintf(bw, "USAGE:\n   densecable [options]\n\n")
	fmt.Fprintf(bw, "VERSION:\n   %s\n\n", Version)
	fmt.Fprintf(bw, "OPTIONS:\n")

	defaults := Default()
	groups := make([][]*flagDef, areaCount)
	width := 0
	for i := range flagTable {
		d := &flagTable[i]
		if d.name == "" || (d.vis != shown && d.vis != pro) {
			continue
		}
		groups[d.area] = append(groups[d.area], d)
		width = max(width, len(usageName(d)))
	}
	for a, defs := range groups {
		if len(defs) == 0 {
			continue
		}
		fmt.Fprintf(bw, "\n   %s\n\n", areaTitles[a])
		for _, d := range defs {
			fmt.Fprintf(bw, "   %-*s  %s%s%s\n", width, usageName(d), d.usage, usageDefault(d, defaults), usageEnv(d))
		}
	}
	return bw.Flush()
}

// usageName is "--name value" (or "--name" for booleans) plus aliases.
func usageName(d *flagDef) string {
	names := []string{"--" + d.name}
	for _, a := range d.aliases {
		if len(a) == 1 {
			names = append(names, "-"+a)
		} else {
			names = append(names, "--"+a)
		}
	}
	s := strings.Join(names, ", ")
	if d.kind != kBool {
		s += " value"
	}
	return s
}

// usageDefault renders " (default: X)" from the built-in defaults.
func usageDefault(d *flagDef, defaults *Config) string {
	text := d.defText
	if text == "-" || d.special != notSpecial {
		return ""
	}
	if text == "" {
		text = defaultString(d, defaults)
	}
	if text == "" {
		return ""
	}
	return " (default: " + text + ")"
}

// defaultString formats d's default value; "" when there is nothing to show.
func defaultString(d *flagDef, defaults *Config) string {
	switch v := d.field(defaults).(type) {
	case *string:
		if *v == "" {
			return ""
		}
		return strconv.Quote(*v)
	case *bool:
		if !*v {
			return ""
		}
		return "true"
	case *int:
		return strconv.Itoa(*v)
	case *uint64:
		return strconv.FormatUint(*v, 10)
	case *[]string:
		if len(*v) == 0 {
			return ""
		}
		return strconv.Quote(strings.Join(*v, ","))
	case *map[string]string:
		if len(*v) == 0 {
			return ""
		}
		pairs := make([]string, 0, len(*v))
		for k, val := range *v {
			pairs = append(pairs, k+":"+val)
		}
		sort.Strings(pairs)
		return strconv.Quote(strings.Join(pairs, ","))
	}
	return ""
}

// usageEnv renders " [$ANYCABLE_X, $FALLBACK]".
func usageEnv(d *flagDef) string {
	vars := d.envVars()
	if len(vars) == 0 {
		return ""
	}
	return " [$" + strings.Join(vars, ", $") + "]"
}
