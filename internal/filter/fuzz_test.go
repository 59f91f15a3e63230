package filter

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// FuzzProcessLine feeds arbitrary lines to an sshd-like filter with a
// prefregex, <F-MLFID> correlation and a multi-line buffer: it must never
// panic, and a failure's id must always occur in the text it was found in.
func FuzzProcessLine(f *testing.F) {
	for _, s := range []string{
		"Jan 23 21:59:59 host sshd[1]: Failed password for x from 192.0.2.1 port 22 ssh2",
		"Jan 23 21:59:59 host sshd[1]: Invalid user x from 6.6.6.6 port 1 from ::ffff:192.0.2.1",
		"2005-01-23T21:59:59 host sshd[2]: Accepted password for u from 2001:db8::1 port 2",
		"\xff\xfe sshd[3]: Connection closed by 192.0.2.3 [preauth]",
		"1124013600 sshd[4]: Received disconnect from 192.0.2.4 port 2:11: bye",
	} {
		f.Add(s)
	}
	flt, err := New(Options{
		PrefRegex:     connPrefRegex,
		FailRegex:     connFailRegex(),
		IgnoreRegex:   []string{`from 192\.0\.2\.250`},
		MaxLines:      3,
		Now:           func() time.Time { return time.Unix(1124013600, 0) },
		Location:      time.UTC,
		CheckAllRegex: true,
	})
	if err != nil {
		f.Fatal(err)
	}
	var recent []string
	f.Fuzz(func(t *testing.T, line string) {
		recent = append(recent, line)
		if len(recent) > 3 {
			recent = recent[1:]
		}
		found, err := flt.ProcessLine(line)
		if err != nil {
			return
		}
		for _, fl := range found {
			if !fl.HasID {
				continue
			}
			id := fl.ID
			if i := strings.IndexByte(id, '/'); i >= 0 {
				id = id[:i]
			}
			seen := false
			ip4, _ := fl.Value("ip4")
			ip6, _ := fl.Value("ip6")
			for _, l := range recent {
				if strings.Contains(strings.ToLower(l), strings.ToLower(strings.TrimPrefix(id, "::ffff:"))) || ip4 != nil && strings.Contains(l, ip4.(string)) || ip6 != nil {
					seen = true
				}
			}
			if !seen {
				t.Fatalf("failure id %q not in the recent lines %q", fl.ID, recent)
			}
		}
	})
}

func TestExpandTags(t *testing.T) {
	for in, want := range map[string]string{
		"<HOST>":                        tagHOST,
		"<F-USER>x</F-USER>":            "(?P<user>x)",
		"</F-USER>":                     "</F-USER>",
		"<F-ID/>":                       `(?P<fid>\S+)`,
		"<f-user>":                      "<f-user>",
		"a<b":                           "a<b",
		"<F-ALT_USER>\\S+</F-ALT_USER>": `(?P<alt_user>\S+)`,
	} {
		if got := ExpandTags(in, "warn"); got != want {
			t.Errorf("ExpandTags(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ExpandTags("<HOST>", "no"); got != tagADDR {
		t.Errorf("usedns=no: <HOST> = %q, want the address-only pattern", got)
	}
}

func TestNormIP(t *testing.T) {
	for _, tc := range []struct {
		in   string
		cidr int
		want string
	}{
		{"192.0.2.1", famIPv4, "192.0.2.1"},
		{"2001:DB8::1", famIPv6, "2001:db8::1"},
		{"::ffff:192.0.2.1", famIPv6, "192.0.2.1"},
		{"::1.2.3.4", cidrUnspec, "::1.2.3.4"},
		{"192.0.2.77/24", cidrUnspec, "192.0.2.0/24"},
		{"[2001:db8::5]", cidrUnspec, "2001:db8::5"},
		{"999.1.1.1", famIPv4, "999.1.1.1"},
		{"host.example", cidrRaw, "host.example"},
		{"2001:db8:0:0:1:0:0:1", famIPv6, "2001:db8::1:0:0:1"},
	} {
		if got := normIP(tc.in, tc.cidr); got != tc.want {
			t.Errorf("normIP(%q, %d) = %q, want %q", tc.in, tc.cidr, got, tc.want)
		}
	}
}

// TestMatchesKeepWholeLines checks that a failure carries the lines as
// read (with their dates), also when a prefregex cut the content out, and
// that <F-MLFID> gathers the lines of one connection.
func TestMatchesKeepWholeLines(t *testing.T) {
	f, err := New(Options{
		PrefRegex: `^\s*<F-MLFID>\S+ sshd\[\d+\]: </F-MLFID><F-CONTENT>.+</F-CONTENT>$`,
		FailRegex: []string{`^Failed password for <F-USER>\S+</F-USER> from <HOST>`, `^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>`},
		Location:  time.UTC, Now: func() time.Time { return time.Unix(1124013600, 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	l1 := "Jan 23 21:59:58 host sshd[7]: Connection from 192.0.2.1 port 5"
	l2 := "Jan 23 21:59:59 host sshd[7]: Failed password for root from 192.0.2.1 port 5 ssh2"
	// A no-failure match of a connection reports nothing (unless all
	// regexes are checked), as in fail2ban.
	if got, err := f.ProcessLine(l1); err != nil || len(got) != 0 {
		t.Fatalf("first line: %+v, %v; want nothing", got, err)
	}
	got, err := f.ProcessLine(l2)
	if err != nil || len(got) != 1 {
		t.Fatalf("second line: %+v, %v", got, err)
	}
	if m := got[0].Matches(); len(m) != 2 || m[0] != l1 || m[1] != l2 {
		t.Errorf("matches = %q, want both lines of the connection as read", m)
	}
	if user, _ := got[0].Value("user"); got[0].ID != "192.0.2.1" || user != "root" {
		t.Errorf("failure = %+v", got[0])
	}
	if want := float64(time.Date(2005, 1, 23, 21, 59, 59, 0, time.UTC).Unix()); got[0].Time != want {
		t.Errorf("time = %v, want %v", got[0].Time, want)
	}
}

// FuzzDottedQuad checks what normIP relies on to skip formatting: a dotted
// quad that parses is printed back unchanged.
func FuzzDottedQuad(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "01.2.3.4", "255.255.255.255", "1.2.3.4.5", "::ffff:1.2.3.4", "0.0.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return
		}
		if a.String() != s {
			t.Fatalf("%q parses as %v", s, a)
		}
		if got := normIP(s, cidrUnspec); got != s {
			t.Fatalf("normIP(%q) = %q", s, got)
		}
	})
}

// FuzzNormIPFast checks normIP's shortcut for canonical dotted quads
// against the slow path, for every way an address is read.
func FuzzNormIPFast(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "01.2.3.4", "255.255.255.255", "256.1.1.1", "1.2.3.4.5", "1.2.3", "1..2.3", "0.0.0.0", "1.2.3.4/24", "[1.2.3.4]", "::ffff:1.2.3.4", "1.2.3.04", "9.99.199.249"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, cidr := range []int{cidrRaw, cidrUnspec, famIPv4, famIPv6, 0, 8, 24, 32, 64, 128} {
			if got, want := normIP(s, cidr), normIPSlow(s, cidr); got != want {
				t.Fatalf("normIP(%q, %d) = %q, want %q as normIPSlow gives", s, cidr, got, want)
			}
		}
	})
}

// TestNormIPFast checks the shortcut of normIP on the edge cases of the
// dotted quad, against the slow path.
func TestNormIPFast(t *testing.T) {
	for _, s := range []string{"1.2.3.4", "01.2.3.4", "255.255.255.255", "256.1.1.1", "1.2.3.4.5", "1.2.3", "1..2.3", "0.0.0.0",
		"1.2.3.4/24", "[1.2.3.4]", "1.2.3.04", "9.99.199.249", "1.2.3.4 ", "1.2.3.1000", ".1.2.3", "1.2.3.", "00.0.0.0", "192.168.100.200"} {
		for _, cidr := range []int{cidrUnspec, famIPv4, famIPv6, 24} {
			if got, want := normIP(s, cidr), normIPSlow(s, cidr); got != want {
				t.Errorf("normIP(%q, %d) = %q, want %q", s, cidr, got, want)
			}
		}
		if ok := canonicalIPv4(s); ok {
			if a, err := netip.ParseAddr(s); err != nil || !a.Is4() || a.String() != s {
				t.Errorf("canonicalIPv4(%q) = true; ParseAddr gives %v, %v", s, a, err)
			}
		}
	}
}

// FuzzAddrBytes checks the shortcuts of parseAddr and normIPSlow: text
// with a byte other than a hex digit, '.' or ':' never parses (addrBytes),
// and an address kept as written is what formatAddr prints.
func FuzzAddrBytes(f *testing.F) {
	for _, s := range []string{"example.com", "1.2.3.4", "aaaa:bbbb:cccc:1234::1:1", "2606:2800:220:1:248:1893:25c8:1946", "::FFFF:1.2.3.4", "::1", "fe80::1%eth0", "AAAA::0001", "1:0:0:2::3", "::ffff:0.0.0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" && !addrBytes(s) {
			t.Fatalf("%q parses as %v, and addrBytes refuses it", s, a)
		}
		if strings.ContainsAny(s, "/[") {
			return
		}
		for _, cidr := range []int{cidrUnspec, famIPv6} {
			a, ok := parseAddr(s, cidr)
			if !ok || !a.Is6() || a.Is4In6() {
				continue
			}
			if got, want := normIPSlow(s, cidr), formatAddr(a); got != want {
				t.Fatalf("normIPSlow(%q, %d) = %q, formatAddr gives %q", s, cidr, got, want)
			}
		}
	})
}

// connPrefRegex and connFailRegex make a small sshd-like filter whose
// connections (<F-MLFID>) are forgotten, gained and merged, for the fuzz
// targets and the reused-lines tests.
const connPrefRegex = `^\s*<F-MLFID>\S+ sshd\[\d+\]: </F-MLFID><F-CONTENT>.+</F-CONTENT>$`

// connFailRegex returns the failregexes of that filter, with extra ones
// before the last (a multi-line <SKIPLINES> one).
func connFailRegex(extra ...string) []string {
	out := []string{
		`^Failed \S+ for (?:invalid user )?<F-USER>.*?</F-USER> from <HOST>(?: port \d+)?`,
		`^[iI]nvalid user <F-USER>\S+</F-USER> from <HOST>`,
		`^<F-MLFFORGET><F-MLFGAINED>Accepted \w+</F-MLFGAINED></F-MLFFORGET> for <F-USER>\S+</F-USER> from <HOST>`,
		`^<F-NOFAIL><F-MLFFORGET>Connection closed</F-MLFFORGET></F-NOFAIL> by <HOST>`,
	}
	out = append(out, extra...)
	return append(out, `^Received disconnect from <ADDR>(?: port \d+)?:\s*<SKIPLINES>`)
}
