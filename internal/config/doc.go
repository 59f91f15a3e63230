// Package config reads fail2ban's configuration dialect: INI files with
// [INCLUDES], .local overlays, %(name)s interpolation, <tag> substitution,
// jail/filter/action references with arguments and time values, and resolves
// them into jails exactly as fail2ban 1.0.2 does. A base layer of defaults
// written for Warden is embedded in the binary and overlaid by the user's
// configuration directory.
package config
