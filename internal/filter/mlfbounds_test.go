package filter

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/f2btest"
)

// checkMLFBounds fails the test when the connections cache or one of its
// entries holds more than its caps.
func checkMLFBounds(t *testing.T, f *Filter, where string) {
	t.Helper()
	if err := f.mlf.check(); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	for id, e := range f.mlf.entries() {
		g := e.fields
		if g.users != nil && len(g.users.items) > mlfMaxUsers {
			t.Fatalf("%s: connection %s holds %d users, cap %d", where, id, len(g.users.items), mlfMaxUsers)
		}
		if len(g.matches) > mlfMaxMatches || len(g.nofailMatches) > mlfMaxMatches {
			t.Fatalf("%s: connection %s holds %d matches and %d nofail matches, cap %d", where, id, len(g.matches), len(g.nofailMatches), mlfMaxMatches)
		}
	}
}

// TestMLFBoundedSSHD runs the stock sshd filter over a 20,000-line log
// whose process ids (the sshd filter's connection ids) come back in every
// copy of the sample, and over the same log with new ids in every copy:
// the cache never holds more than its caps, a failure never carries more
// than mlfMaxUsers users or mlfMaxMatches lines, and with ids reused the
// users cap is reached (without it a connection gathered 271 users here).
func TestMLFBoundedSSHD(t *testing.T) {
	root := f2btest.Root(t)
	lines, err := f2btest.SSHDLog(root, 20000)
	if err != nil {
		t.Fatal(err)
	}
	pid := regexp.MustCompile(`\[(\d+)\]`)
	for _, reuse := range []bool{true, false} {
		f := sshdFilter(t, root)
		mostUsers, mostMatches := 0, 0
		for i, l := range lines {
			if reuse {
				l = pid.ReplaceAllStringFunc(l, func(m string) string {
					v, _ := strconv.Atoi(m[1 : len(m)-1])
					return fmt.Sprintf("[%d]", v%100000)
				})
			}
			found, err := f.ProcessLineNL(l)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range found {
				mostUsers = max(mostUsers, len(m.Users()))
				mostMatches = max(mostMatches, len(m.Matches()))
			}
			if i%97 == 0 || i == len(lines)-1 {
				checkMLFBounds(t, f, fmt.Sprintf("reuse %v, line %d", reuse, i+1))
			}
		}
		t.Logf("reuse %v: at most %d users, %d matches in a failure", reuse, mostUsers, mostMatches)
		if mostUsers > mlfMaxUsers || mostMatches > mlfMaxMatches {
			t.Errorf("reuse %v: a failure with %d users and %d matches", reuse, mostUsers, mostMatches)
		}
		if reuse && mostUsers != mlfMaxUsers {
			t.Errorf("with ids reused, at most %d users: the users cap (%d) is not exercised", mostUsers, mlfMaxUsers)
		}
	}
}

// connFilter is a filter whose failures are gathered by connection:
// "conn N: [user U ]failed[ from HOST]" (pending without a host) and
// "conn N: accepted" (no failure).
func connFilter(t *testing.T, now *time.Time) *Filter {
	t.Helper()
	f, err := New(Options{FailRegex: []string{
		`^conn <F-MLFID>\d+</F-MLFID>: (?:user <F-USER>\S+</F-USER> )?failed(?: from <HOST>)?$`,
		`^conn <F-MLFID>\d+</F-MLFID>: <F-NOFAIL>accepted</F-NOFAIL>$`,
	}, IgnorePending: true, UseDNS: "no", Location: time.UTC, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestMLFEntryValuesBounded: a connection that fails without an address
// (pending) or says "no failure" hundreds of times, under hundreds of
// user names, gives a failure with the first mlfMaxUsers users and the
// last mlfMaxMatches lines, the line of the failure last.
func TestMLFEntryValuesBounded(t *testing.T) {
	now := time.Unix(1700000000, 0)
	f := connFilter(t, &now)
	for i := 0; i < 300; i++ {
		if _, err := f.ProcessLine(fmt.Sprintf("conn 7: user u%03d failed", i)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ProcessLine("conn 8: accepted"); err != nil {
			t.Fatal(err)
		}
		checkMLFBounds(t, f, fmt.Sprintf("round %d", i))
	}
	for _, c := range []struct {
		line      string
		users     int
		firstUser string
	}{
		{"conn 7: user last failed from 192.0.2.7", mlfMaxUsers, "u000"},
		{"conn 8: failed from 192.0.2.8", 0, ""},
	} {
		found, err := f.ProcessLine(c.line)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 1 {
			t.Fatalf("%q: %d failures", c.line, len(found))
		}
		m := found[0]
		users, lines := m.Users(), m.Matches()
		if len(users) != c.users || c.users > 0 && users[0] != c.firstUser {
			t.Errorf("%q: users %v, want the first %d", c.line, users, c.users)
		}
		if len(lines) != mlfMaxMatches || lines[len(lines)-1] != c.line {
			t.Errorf("%q: %d lines, the last %q; want %d, the failure's last", c.line, len(lines), lines[len(lines)-1], mlfMaxMatches)
		}
	}
}

// TestMLFCacheCap: distinct connections beyond the cap evict the oldest,
// and the cache never holds more than mlfMaxCount of them; below the cap,
// nothing is evicted before fail2ban's expiry (mlfMaxAge).
func TestMLFCacheCap(t *testing.T) {
	now := time.Unix(1700000000, 0)
	f := connFilter(t, &now)
	for i := 0; i < 10*mlfMaxCount; i++ {
		if _, err := f.ProcessLine(fmt.Sprintf("conn %d: user u failed", i)); err != nil {
			t.Fatal(err)
		}
		checkMLFBounds(t, f, fmt.Sprintf("connection %d", i))
		if want := min(i+1, mlfMaxCount); f.mlf.n != want {
			t.Fatalf("after %d connections, %d cached, want %d", i+1, f.mlf.n, want)
		}
	}
	if _, ok := f.mlf.entries()[strconv.Itoa(10*mlfMaxCount-mlfMaxCount)]; !ok {
		t.Errorf("the newest connections are not all cached")
	}
	if _, ok := f.mlf.entries()[strconv.Itoa(10*mlfMaxCount-mlfMaxCount-1)]; ok {
		t.Errorf("an old connection is still cached")
	}

	f = connFilter(t, &now)
	f.ProcessLine("conn 1: user a failed")
	for i := 0; i < mlfMaxCount-2; i++ {
		f.ProcessLine(fmt.Sprintf("conn %d: user b failed", 100+i))
	}
	now = now.Add((mlfMaxAge - 1) * time.Second)
	found, _ := f.ProcessLine("conn 1: user c failed from 192.0.2.1")
	if len(found) != 1 || len(found[0].Users()) != 2 {
		t.Errorf("a connection below the cap and its age was forgotten: %v", found)
	}
	now = now.Add(2 * time.Second)
	found, _ = f.ProcessLine("conn 1: user d failed from 192.0.2.1")
	if len(found) != 1 || len(found[0].Users()) != 1 {
		t.Errorf("a connection past its age was kept: %v", found)
	}
}
