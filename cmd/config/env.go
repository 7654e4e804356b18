package config

import "fmt"

// applyEnv reads every setting's env vars (ANYCABLE_<NAME> first, then the
// fallbacks such as PORT and REDIS_URL). An empty value counts as unset.
func applyEnv(c *Config, env func(string) string) error {
	if env == nil {
		return nil
	}
	for i := range flagTable {
		d := &flagTable[i]
		for _, name := range d.envVars() {
			v := env(name)
			if v == "" {
				continue
			}
			if err := d.setText(c, v); err != nil {
				return fmt.Errorf("invalid value for env %s (flag --%s): %w", name, d.name, err)
			}
			c.markExplicit(d)
			break
		}
	}
	return nil
}
