package config

// Version is densecable's own version, printed by -v/--version. Release
// builds set it with -ldflags "-X github.com/densecable/densecable/cmd/config.Version=…".
// It is a var (not a const) only so the linker can overwrite it.
var Version = "0.1.0-dev"
