package config

// markExplicit records that d's value came from a flag, env var or file.
func (c *Config) markExplicit(d *flagDef) {
	if c.explicit == nil {
		c.explicit = map[string]struct{}{}
	}
	c.explicit[d.id()] = struct{}{}
}

// ExplicitlySet reports whether the setting was given by a flag, env var or
// the TOML file (presets and derived values do not count). name is a flag
// name or alias ("rpc_host", "cable_ready_streams"), or the dotted TOML key
// of a TOML-only setting ("streams.pubsub_channel").
func (c *Config) ExplicitlySet(name string) bool {
	d, ok := byFlag[name]
	if !ok {
		if d, ok = byTOML[name]; !ok {
			return false
		}
	}
	_, set := c.explicit[d.id()]
	return set
}

// isSet is ExplicitlySet for names known to exist (internal use).
func (c *Config) isSet(id string) bool {
	_, set := c.explicit[id]
	return set
}
