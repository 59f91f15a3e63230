package action

import "strings"

// A dynamic value: what a tag of the ticket stands for.
type dynValue struct {
	v string
	// computed marks values Warden computes itself (the address, numbers,
	// the family): they may be written into the script when they are made
	// of safe bytes only. Log-derived values (matches, F-* fields, the
	// failure id, the reverse DNS name) never are, except inside single
	// quotes where a reference would not expand.
	computed bool
}

// safeByte reports whether c can stand in a shell script in any context
// without meaning anything to the shell.
func safeByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("._:/@+,-", c) >= 0
}

func safeText(s string) bool {
	for i := 0; i < len(s); i++ {
		if !safeByte(s[i]) {
			return false
		}
	}
	return true
}

// varName is the shell variable a tag's value is passed in: fail2ban's
// f2bV_ names (every byte other than a letter, digit or _ becomes _).
func varName(tag string) string {
	b := []byte("f2bV_" + tag)
	for i := 5; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// fieldOption maps an F-* tag's name to the key of the ticket's fields as
// fail2ban's mapTag2Opt does: lower case, with id and port renamed.
func fieldOption(name string) string {
	o := strings.ToLower(name)
	switch o {
	case "id":
		return "fid"
	case "port":
		return "fport"
	}
	return o
}

// fieldTag returns the name of an F-* tag (<F-([A-Z0-9_\-]+)>), if tag is one.
func fieldTag(tag string) (string, bool) {
	name, ok := strings.CutPrefix(tag, "F-")
	if !ok || name == "" {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return "", false
		}
	}
	return name, true
}

// expandDynamic replaces the dynamic tags of script, once and without
// recursion, as fail2ban's replaceDynamicTags does, but never writes a
// log-derived value into the script: such a value goes into env under its
// f2bV_ name and the tag becomes a reference to it, quoted to suit the
// place where it stands. get returns the value of a tag of the ticket,
// field the value of an F-* field (by fail2ban's option name), extra the
// fallback tags (br, sp, the host names), which are Warden's own text.
func expandDynamic(script string, get func(tag string) (dynValue, bool), field func(opt string) string, extra func(tag string) (string, bool), env map[string]string) string {
	if !strings.Contains(script, "<") {
		return script
	}
	lex := newShellLexer(script)
	return subTags(script, func(tag string, at int) (string, bool) {
		var (
			val  dynValue
			name string
		)
		if v, ok := get(tag); ok {
			val, name = v, varName(tag)
		} else if f, ok := fieldTag(tag); ok {
			opt := fieldOption(f)
			val, name = dynValue{v: field(opt)}, varName("F_"+opt)
		} else {
			return extra(tag)
		}
		return reference(val, name, lex.at(at), env), true
	})
}

// reference returns what stands in the script for val at a place quoted
// so, adding val to env when it is passed as a variable.
func reference(val dynValue, name string, q quoting, env map[string]string) string {
	if val.v == "" {
		return ""
	}
	safe := safeText(val.v)
	if safe && val.computed {
		return val.v
	}
	switch q {
	case inSingle, inLiteralDoc:
		if safe {
			return val.v
		}
	}
	env[name] = envValue(val.v)
	if q == unquoted {
		return `"${` + name + `}"`
	}
	return "${" + name + "}"
}

// MaxValue bounds a value passed in the environment: Linux refuses to
// start a program with a single environment string longer than 128 KiB,
// so a longer value (many long matched lines) is cut, and the action
// still runs.
const MaxValue = 100_000

// envValue is v as an environment variable can hold it: without NUL
// bytes, and at most MaxValue bytes.
func envValue(v string) string {
	v = strings.ReplaceAll(v, "\x00", "")
	if len(v) > MaxValue {
		v = v[:MaxValue]
	}
	return v
}
