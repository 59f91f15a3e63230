package source

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/logenc"
)

func mustEnc(t testing.TB, name string) *logenc.Encoding {
	t.Helper()
	e, err := logenc.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestParseJournalEntry(t *testing.T) {
	const base = `"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1700000000123456"`
	for _, tc := range []struct {
		name, json, want string
		enc              string
		time             int64 // µs; 0: 1700000000123456
	}{
		{name: "sshd", json: `{` + base + `,"_HOSTNAME":"host1","SYSLOG_IDENTIFIER":"sshd","_PID":"123","_COMM":"sshd","MESSAGE":"Failed password for root from 1.2.3.4 port 22 ssh2"}`,
			want: "host1 sshd[123]: Failed password for root from 1.2.3.4 port 22 ssh2"},
		{name: "SYSLOG_PID first", json: `{` + base + `,"SYSLOG_IDENTIFIER":"sshd","SYSLOG_PID":"7","_PID":"123","MESSAGE":"m"}`, want: "sshd[7]: m"},
		{name: "_COMM when no identifier", json: `{` + base + `,"_COMM":"dropbear","_PID":"9","MESSAGE":"m"}`, want: "dropbear[9]: m"},
		{name: "no pid", json: `{` + base + `,"_HOSTNAME":"h","SYSLOG_IDENTIFIER":"x","MESSAGE":"m"}`, want: "h x: m"},
		{name: "message only", json: `{` + base + `,"MESSAGE":"just this"}`, want: "just this"},
		{name: "no message", json: `{` + base + `,"_HOSTNAME":"h","SYSLOG_IDENTIFIER":"x"}`, want: "h x: "},
		{name: "empty hostname skipped", json: `{` + base + `,"_HOSTNAME":"","SYSLOG_IDENTIFIER":"x","SYSLOG_PID":"","_PID":"5","MESSAGE":"m"}`, want: "x[5]: m"},
		{name: "hex pid", json: `{` + base + `,"SYSLOG_IDENTIFIER":"x","SYSLOG_PID":"0x1f","MESSAGE":"m"}`, want: "x[31]: m"},
		{name: "padded pid", json: `{` + base + `,"SYSLOG_IDENTIFIER":"x","SYSLOG_PID":" 012 ","MESSAGE":"m"}`, want: "x[12]: m"},
		{name: "text pid", json: `{` + base + `,"SYSLOG_IDENTIFIER":"x","SYSLOG_PID":"ab'c","MESSAGE":"m"}`, want: `x[b"ab'c"]: m`},
		{name: "kernel", json: `{` + base + `,"_HOSTNAME":"h","SYSLOG_IDENTIFIER":"kernel","__MONOTONIC_TIMESTAMP":"12345678","MESSAGE":"oops"}`,
			want: "h kernel: [   12.345678] oops"},
		{name: "kernel source monotonic", json: `{` + base + `,"SYSLOG_IDENTIFIER":"kernel","_SOURCE_MONOTONIC_TIMESTAMP":"5","__MONOTONIC_TIMESTAMP":"12345678","MESSAGE":"oops"}`,
			want: "kernel: [    0.000005] oops"},
		{name: "new lines", json: `{` + base + `,"MESSAGE":"a\nb"}`, want: `a\nb`},
		{name: "bytes utf-8", json: `{` + base + `,"MESSAGE":[104,105,10,195,169]}`, want: `hi\né`},
		{name: "bytes invalid", json: `{` + base + `,"MESSAGE":[98,255,1,10,120]}`, want: "b\uFFFD\x01\\nx"},
		{name: "bytes latin-1", enc: "latin-1", json: `{` + base + `,"MESSAGE":[98,233]}`, want: "bé"},
		{name: "multi-valued", json: `{` + base + `,"SYSLOG_IDENTIFIER":["a","b"],"MESSAGE":["one",[116,119,111],null]}`, want: "a: one two"},
		{name: "null fields", json: `{` + base + `,"_HOSTNAME":null,"SYSLOG_IDENTIFIER":"x","MESSAGE":null}`, want: "x: "},
		{name: "source time", json: `{` + base + `,"_SOURCE_REALTIME_TIMESTAMP":"1600000000000001","MESSAGE":"m"}`, want: "m", time: 1600000000000001},
		{name: "bad source time", json: `{` + base + `,"_SOURCE_REALTIME_TIMESTAMP":"x","MESSAGE":"m"}`, want: "m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc := mustEnc(t, "utf-8")
			if tc.enc != "" {
				enc = mustEnc(t, tc.enc)
			}
			e, err := parseJournalEntry([]byte(tc.json), enc)
			if err != nil {
				t.Fatal(err)
			}
			if e.text != tc.want {
				t.Errorf("text %q, want %q", e.text, tc.want)
			}
			want := tc.time
			if want == 0 {
				want = 1700000000123456
			}
			if !e.time.Equal(time.UnixMicro(want)) || e.realtime != 1700000000123456 || e.cursor != "s=1;i=2" {
				t.Errorf("got %+v", e)
			}
		})
	}
}

func TestParseJournalEntryErrors(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"MESSAGE":"m"}`, `{"__CURSOR":"c"}`, `{"__CURSOR":"c","__REALTIME_TIMESTAMP":"x"}`, `{"__CURSOR":"c"`} {
		if _, err := parseJournalEntry([]byte(in), mustEnc(t, "utf-8")); err == nil {
			t.Errorf("parseJournalEntry(%q): no error", in)
		}
	}
}

func TestFormatPID(t *testing.T) {
	for in, want := range map[string]string{
		"123": "123", "+5": "5", "-5": "-5", "1_000": "1000", "007": "7", "0x1F": "31", "0o17": "15", "0b11": "3",
		"-0x10": "-16", "0x_1f": "31", "00": "0", "0_7": "7", " 0x10 ": "16", "- 5": "b'- 5'", "+-5": "b'+-5'", "1__0": "b'1__0'", "_1": "b'_1'", "0x": "b'0x'",
		"": "b''", "a\tb\\": `b'a\tb\\'`, "\x01": `b'\x01'`, "99999999999999999999999": "99999999999999999999999",
	} {
		if got := formatPID(in); got != want {
			t.Errorf("formatPID(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseJournalEntry(f *testing.F) {
	f.Add([]byte(`{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1","SYSLOG_IDENTIFIER":"kernel","MESSAGE":[1,2,255]}`))
	f.Add([]byte(`{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1","SYSLOG_PID":"0x_1","MESSAGE":["a",[],[300],{}]}`))
	enc := mustEnc(f, "utf-8")
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseJournalEntry(b, enc)
		if err == nil && !utf8.ValidString(e.text) && utf8.Valid(b) {
			t.Errorf("text %q is not UTF-8", e.text)
		}
	})
}
