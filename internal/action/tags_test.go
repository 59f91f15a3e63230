package action

import (
	"errors"
	"strings"
	"testing"
)

func TestFindTag(t *testing.T) {
	for _, c := range []struct {
		s    string
		tags []string
	}{
		{"<a> <b c> <d<e>> <> <f\tg> x<h>y <<i>> <j", []string{"a", "e", "f\tg", "h", "i"}},
		{"2>&1 <x >y <z>", []string{"z"}},
		{"", nil},
	} {
		var got []string
		subTags(c.s, func(tag string, _ int) (string, bool) { got = append(got, tag); return "", false })
		if strings.Join(got, "|") != strings.Join(c.tags, "|") {
			t.Errorf("tags of %q = %q, want %q", c.s, got, c.tags)
		}
	}
}

// TestQuoting checks the lexer's quoting at each <x> of a script.
func TestQuoting(t *testing.T) {
	for _, c := range []struct {
		script string
		want   []quoting
	}{
		{`<x> "<x>" '<x>' <x>`, []quoting{unquoted, inDouble, inSingle, unquoted}},
		{`"a\"<x>" 'b"<x>' "c'<x>'"`, []quoting{inDouble, inSingle, inDouble}},
		{`$(echo <x> "<x>") "$(echo <x>)" "<x>"`, []quoting{unquoted, inDouble, unquoted, inDouble}},
		{"`echo <x>` \"`echo <x>` <x>\" <x>", []quoting{unquoted, unquoted, inDouble, unquoted}},
		{`$((1+(2*3))) <x> $(a (b) <x>) <x>`, []quoting{unquoted, unquoted, unquoted}},
		{"a # <x> '\n<x> #<x>\n\"<x>\"", []quoting{inComment, unquoted, inComment, inDouble}},
		{"a#b <x>", []quoting{unquoted}},
		{"cat <<EOF\n<x> \"<x>\" '<x>'\nEOF\n<x>", []quoting{inHeredoc, inHeredoc, inHeredoc, unquoted}},
		{"cat <<'E F' <<-X; '<x>'\n<x>\nE F\n\t<x>\n\tX\n<x>", []quoting{inSingle, inLiteralDoc, inHeredoc, unquoted}},
		{"cat <<<'<x>' <x>", []quoting{inSingle, unquoted}},
		{`\'<x> \"<x> \\"<x>"`, []quoting{unquoted, unquoted, inDouble}},
		{`'unterminated <x>`, []quoting{inSingle}},
		{`) ) <x> `, []quoting{unquoted}},
	} {
		lex := newShellLexer(c.script)
		var got []quoting
		for pos := 0; ; {
			i := strings.Index(c.script[pos:], "<x>")
			if i < 0 {
				break
			}
			got = append(got, lex.at(pos+i))
			pos += i + 3
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: %d tags, want %d", c.script, len(got), len(c.want))
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: tag %d quoting %d, want %d", c.script, i, got[i], c.want[i])
			}
		}
	}
}

func TestStaticCorners(t *testing.T) {
	props := map[string]string{
		"a": "<b>x", "b": "<c?family=inet6>", "c": "C", "c?family=inet6": "C6",
		"matches": "m<a>;", "d": "<matches>",
	}
	none := func(string) (string, bool) { return "", false }
	for _, c := range []struct {
		query, cond, want string
	}{
		{"<a>", "", "C6x"}, // a tag may name a conditional key itself
		{"<a>", "family=inet6", "C6x"},
		{"<b>", "", "C6"},
		{"<c>", "", "C"},
		{"<c>", "family=inet6", "C6"},
		{"<matches>", "", `m\<a\>\;`},
		{"<d>", "", `m\<a\>\;`},
		{"no tags", "", "no tags"},
	} {
		sub, err := substituteRecursive(props, c.cond)
		if err != nil {
			t.Fatal(err)
		}
		got, err := replaceStatic(c.query, sub, c.cond, none)
		if err != nil || got != c.want {
			t.Errorf("%s (%s) = %q, %v; want %q", c.query, c.cond, got, err, c.want)
		}
	}
	if _, err := substituteRecursive(map[string]string{"a": "<b>", "b": "<a>"}, ""); !errors.Is(err, ErrRecursion) {
		t.Errorf("a -> b -> a: %v", err)
	}
}

// expandAll substitutes every tag of cmd as a log-derived value v.
func expandAll(cmd, v string) (string, map[string]string) {
	env := map[string]string{}
	get := func(tag string) (dynValue, bool) {
		switch tag {
		case "ip":
			return dynValue{v: "192.0.2.1", computed: true}, true
		case "matches", "ip-host", "fid":
			return dynValue{v: v}, true
		}
		return dynValue{}, false
	}
	s := expandDynamic(cmd, get, func(string) string { return v }, func(string) (string, bool) { return "", false }, env)
	return s, env
}

// checkIndependent checks that the script made from cmd does not depend on
// unsafe values: two of them give the same script, and the environment
// holds them.
func checkIndependent(t *testing.T, cmd, v1, v2 string) {
	t.Helper()
	if v1 == "" || v2 == "" || safeText(v1) || safeText(v2) {
		return
	}
	s1, env1 := expandAll(cmd, v1)
	s2, _ := expandAll(cmd, v2)
	if s1 != s2 {
		t.Fatalf("the script depends on the value:\n%q\n%q", s1, s2)
	}
	for k, v := range env1 {
		if !strings.HasPrefix(k, "f2bV_") || v != strings.ReplaceAll(v1, "\x00", "") {
			t.Fatalf("env %s=%q, want value %q", k, v, v1)
		}
	}
}

func TestScriptIndependentOfValues(t *testing.T) {
	cmds := []string{
		`echo <matches> "<F-USER>" '<ip-host>' <ip> $(x <fid>) "$(y <F-X>)" ` + "`<matches>`",
		"cat <<EOF\n<matches>\nEOF\n<F-USER>",
		"# <matches>\n<matches>",
	}
	vals := []string{"$(id>pwned)", "'", `"`, "a b", "\n", "`", "\\", ";", "<matches>", "${x}"}
	for _, c := range cmds {
		for _, v1 := range vals {
			for _, v2 := range vals {
				checkIndependent(t, c, v1, v2)
			}
		}
	}
}

// FuzzDynamic: for any command and any two unsafe values, the script is
// the same (the values live only in the environment), and nothing panics.
func FuzzDynamic(f *testing.F) {
	f.Add(`printf '%s\n' <F-USER> "<matches>" '<fid>'`, "$(id>pwned)", "`x`")
	f.Add("cat <<EOF\n<matches>\nEOF", "a'b", "\n")
	f.Add(`"$(echo "<ip-host>")" # <matches>`, "\\", "a b")
	f.Add(`<<a<F-A-B_1>> <ip>`, "<ip>", "${IFS}")
	f.Fuzz(func(t *testing.T, cmd, v1, v2 string) {
		checkIndependent(t, cmd, v1, v2)
	})
}

// FuzzStatic: interpolating any parameters ends, with a result or
// ErrRecursion, and matches what a second identical action gives.
func FuzzStatic(f *testing.F) {
	f.Add("<a> <b?family=inet6> <br>", "x<b>", "<c>")
	f.Add("<a>", "<a>", "")
	f.Add("<a<b>>", "<b>", "a")
	f.Add("<matches> <a>", "<matches>", "<a<a>>")
	f.Fuzz(func(t *testing.T, ban, a, b string) {
		params := map[string]any{"actionban": ban, "a": a, "b": b, "b?family=inet6": b + "6"}
		act, err := New("fuzz", params, Options{Hostname: func() (string, error) { return "h", nil }, FQDN: func() (string, error) { return "h.d", nil }})
		if err != nil {
			if !errors.Is(err, ErrRecursion) {
				t.Fatalf("New: %v", err)
			}
			return
		}
		for _, fam := range []string{"", "inet6"} {
			if _, err := act.static("actionban", fam); err != nil && !errors.Is(err, ErrRecursion) {
				t.Fatalf("static: %v", err)
			}
		}
	})
}
