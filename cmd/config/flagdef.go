package config

import "strings"

// kind says how a setting's text (flag or env) and TOML value are read.
type kind int

const (
	kString    kind = iota
	kInt            // non-negative decimal integer
	kUint64         // non-negative decimal integer up to MaxInt64
	kBool           // strconv.ParseBool
	kList           // comma-separated, trimmed, empty items dropped
	kLowerList      // like kList, lower-cased
	kSemiList       // semicolon-separated (enats gateways)
	kTags           // "k:v,k2:v2" map
)

// visibility controls -h output and deprecation warnings.
type visibility int

const (
	shown visibility = iota
	hidden
	deprecated // hidden + warning when set
	pro        // documented Pro flag; shown (densecable includes Pro)
)

// special marks flags that are actions, not settings.
type special int

const (
	notSpecial special = iota
	specialHelp
	specialVersion
	specialPrintConfig
)

// flagDef describes one setting: its flag, env vars, TOML key and field.
type flagDef struct {
	name    string   // canonical flag name; "" for TOML-only settings
	aliases []string // other accepted flag names
	kind    kind
	toml    string   // dotted TOML key; "" = not read from / printed to the file
	extra   []string // extra env vars read after ANYCABLE_<NAME>
	noEnv   bool     // no ANYCABLE_<NAME> env var
	area    area
	usage   string
	vis     visibility
	defText string // help default text; "-" hides it; "" = computed
	special special
	field   func(*Config) any // pointer to the field; nil for specials
}

// id is the name ExplicitlySet knows the setting by.
func (d *flagDef) id() string {
	if d.name != "" {
		return d.name
	}
	return d.toml
}

// envVars lists the env vars read for d, in priority order.
func (d *flagDef) envVars() []string {
	if d.name == "" || d.special != notSpecial {
		return nil
	}
	var out []string
	if !d.noEnv {
		out = append(out, envName(d.name))
	}
	return append(out, d.extra...)
}

// envName maps a flag name to its env var: ANYCABLE_ + upper, - and _ → _.
func envName(flag string) string {
	return "ANYCABLE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// option tweaks a flagDef in the table.
type option func(*flagDef)

func hide(d *flagDef)       { d.vis = hidden }
func deprecate(d *flagDef)  { d.vis = deprecated }
func proOnly(d *flagDef)    { d.vis = pro }
func withoutEnv(d *flagDef) { d.noEnv = true }

func alsoEnv(names ...string) option { return func(d *flagDef) { d.extra = append(d.extra, names...) } }
func alias(names ...string) option {
	return func(d *flagDef) { d.aliases = append(d.aliases, names...) }
}
func defaultText(s string) option { return func(d *flagDef) { d.defText = s } }

// def builds a table row.
func def(name string, k kind, tomlKey string, a area, usage string, field func(*Config) any, opts ...option) flagDef {
	d := flagDef{name: name, kind: k, toml: tomlKey, area: a, usage: usage, field: field}
	for _, o := range opts {
		o(&d)
	}
	return d
}

// tomlOnly builds a row for a setting that only the TOML file can set.
func tomlOnly(tomlKey string, k kind, a area, usage string, field func(*Config) any) flagDef {
	return flagDef{kind: k, toml: tomlKey, area: a, usage: usage, field: field, vis: hidden}
}
