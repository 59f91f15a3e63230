package action_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wardenipd/warden/internal/action"
)

// payloads are log-derived values an attacker chooses: each would run
// "id>pwned" (or make a file) if the shell parsed it, or change if the
// shell split, globbed or expanded it.
var payloads = []string{
	"$(id>pwned)", "`id>pwned`", "x;id>pwned", "x|id>pwned", "x&id>pwned", "x&&id>pwned", "x||id>pwned",
	"'", `"`, `a'b"c`, "';id>pwned;'", `";id>pwned;"`, `"$(id>pwned)"`, "'$(id>pwned)'",
	"line1\nid>pwned", "line1\r\nid>pwned\n", "\\", `\"`, `\n`, `\`, "x\\", "$HOME", "${HOME}", "$0", "$1", "$@",
	"*", "?", "[a-z]*", "~", "~root", "-n", "--", "-e \\n", " lead", "tail ", "tab\tsep", "two  spaces",
	"%s%n%%", "${IFS}", "<F-USER>", "<ip>", "<matches>", "$f2bV_F_user", "${f2bV_matches}", "$(($(id>pwned)))",
	"é€😀", "\x7f\x01\x1b[31m", ">pwned", "<pwned", "pwned", "EOF\nid>pwned\nEOF", "a\x00b", "!", "#x", "{a,b}",
	"root", "", "}", "{", "${x:-$(id>pwned)}", "\"'`$\\", "a=b", "PATH=/nonexistent",
}

// injectionCases are commands that print a log-derived value in the
// places action.d files put them; want is what the command prints for a
// value v.
var injectionCases = []struct {
	name, cmd string
	want      func(v string) string
}{
	{"unquoted", `printf '%s\n' <F-USER> >> log`, line},
	{"double quotes", `printf '%s\n' "<F-USER>" >> log`, line},
	{"in a double-quoted word", `printf '%s\n' "user=<F-USER>;" >> log`, func(v string) string { return "user=" + v + ";\n" }},
	{"in an unquoted word", `printf '%s\n' pre<F-USER>post >> log`, func(v string) string { return "pre" + v + "post\n" }},
	{"assignment", `u=<F-USER>; printf '%s\n' "$u" >> log`, line},
	{"command substitution", `printf '%s\n' $(printf '%s.' <F-USER> | od -An -tx1 | tr -d ' \n') >> log`, hexLine},
	{"quoted command substitution", `printf '%s\n' "$(printf '%s.' "<F-USER>")" >> log`, func(v string) string { return v + ".\n" }},
	{"backticks", "printf '%s\\n' \"`printf '%s.' <F-USER>`\" >> log", func(v string) string { return v + ".\n" }},
	{"here-document", "cat >> log <<EOF\n<F-USER>\nEOF", line},
	{"nested shell in single quotes", `sh -c 'printf "%s\n" "<F-USER>"' >> log`, line},
	{"matches", `printf '%s\n' "<matches>" >> log`, func(v string) string { return v + "\nsecond line\n" }},
	{"unquoted matches", `printf '%s\n' <matches> >> log`, func(v string) string { return v + "\nsecond line\n" }},
	{"reverse DNS", `printf '%s\n' "<ip-host>" >> log`, line},
	{"failure id", `printf '%s\n' <fid> >> log`, line},
	{"comment", "# <F-USER> <matches>\nprintf 'ok\\n' >> log", func(string) string { return "ok\n" }},
	{"test", `if [ "<F-USER>" = "<F-USER>" ]; then printf '%s\n' <F-USER>; fi >> log`, line},
	{"fail2ban mail style", `printf %b "Lines:\n<matches>\n" > /dev/null; printf '%s\n' "<F-USER>" >> log`, line},
}

func line(v string) string { return v + "\n" }

func hexLine(v string) string {
	var b strings.Builder
	for _, c := range []byte(v + ".") {
		const hex = "0123456789abcdef"
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String() + "\n"
}

// TestInjection runs every payload through every place, all in one
// script: no command of the payload runs (no file appears) and each
// place prints the payload as it is (a NUL byte, which no environment
// variable can hold, dropped).
func TestInjection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	opts := e.options()
	res := fakeResolver{names: map[string][]string{}}
	opts.Resolver = res
	var script []string
	for i, c := range injectionCases {
		script = append(script, strings.ReplaceAll(c.cmd, ">> log", ">> log."+strconv.Itoa(i)))
	}
	a, err := newAction(strings.Join(script, "\n"), opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range payloads {
		ip := "192.0.2." + strconv.Itoa(i+1)
		res.names[ip] = []string{p}
		tk := ticket(ip)
		tk.Fields = map[string]string{"user": p, "fid": p}
		tk.Matches = []string{p, "second line"}
		if err := a.Ban(context.Background(), tk); err != nil {
			t.Errorf("payload %q: %v", p, err)
			continue
		}
		v := strings.ReplaceAll(p, "\x00", "")
		for j, c := range injectionCases {
			want := c.want(v)
			if c.name == "reverse DNS" && v == "" {
				want = "None\n"
			}
			f := filepath.Join(e.dir, "log."+strconv.Itoa(j))
			b, _ := os.ReadFile(f)
			os.Remove(f)
			if string(b) != want {
				t.Errorf("%s: payload %q printed %q, want %q", c.name, p, b, want)
			}
		}
		entries, _ := os.ReadDir(e.dir)
		for _, en := range entries {
			t.Errorf("payload %q made a file: %s", p, en.Name())
			os.Remove(filepath.Join(e.dir, en.Name()))
		}
	}
}

// TestInjectionSingleQuotes: inside single quotes nothing expands, so a
// value made of safe bytes is written there as it is, and any other
// stays a reference the command sees as text (as in fail2ban).
func TestInjectionSingleQuotes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, err := newAction(`printf '%s\n' '<F-USER>' >> log`, e.options())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range payloads {
		tk := ticket("192.0.2.1")
		tk.Fields = map[string]string{"user": p}
		if err := a.Ban(context.Background(), tk); err != nil {
			t.Fatalf("payload %q: %v", p, err)
		}
		want := "${f2bV_F_user}\n"
		if strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@+,-") == "" {
			want = p + "\n"
		}
		b, _ := os.ReadFile(filepath.Join(e.dir, "log"))
		os.Remove(filepath.Join(e.dir, "log"))
		if string(b) != want {
			t.Errorf("payload %q printed %q, want %q", p, b, want)
		}
		if entries, _ := os.ReadDir(e.dir); len(entries) > 0 {
			t.Fatalf("payload %q made a file: %s", p, entries[0].Name())
		}
	}
}

func newAction(ban string, opts action.Options) (*action.Action, error) {
	return action.New("inject", map[string]any{"actionban": ban}, opts)
}
