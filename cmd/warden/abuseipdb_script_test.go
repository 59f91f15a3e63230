package main

import (
	"os"
	"slices"
	"strconv"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/abuseipdb/abuseipdbtest"
)

// newAbuseFakeCmd returns the scripts' "abuseipdb-fake" command, which runs
// a fake AbuseIPDB (abuseipdbtest) on 127.0.0.1 for the script, closed at
// its end:
//
//	abuseipdb-fake start [KEY...]   start it, accepting KEYs (default the fake's
//	                                key); sets $ABUSEIPDB_URL and $ABUSEIPDB_KEY
//	abuseipdb-fake seed IP SCORE    make IP known with SCORE
//	abuseipdb-fake down | up        answer a proxy's HTML 502 page, or not
//	abuseipdb-fake quota ENDPOINT N set an endpoint's daily limit
//	abuseipdb-fake reports N [IP CATEGORIES]
//	                                require N reports received, the last of IP
//	                                with CATEGORIES ("18,22")
//	abuseipdb-fake subst FILE...    replace $VARIABLES in FILEs by their values;
//	                                the FILEs are left readable by their owner only
//
// Each script has its own fake; the map is the command's, not the package's.
func newAbuseFakeCmd() func(ts *testscript.TestScript, neg bool, args []string) {
	var mu sync.Mutex
	fakes := map[*testscript.TestScript]*abuseipdbtest.Server{}
	get := func(ts *testscript.TestScript) *abuseipdbtest.Server {
		mu.Lock()
		defer mu.Unlock()
		f := fakes[ts]
		if f == nil {
			ts.Fatalf("abuseipdb-fake: not started")
		}
		return f
	}
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) == 0 {
			ts.Fatalf("usage: abuseipdb-fake start|seed|down|up|quota|reports|subst ...")
		}
		switch cmd, args := args[0], args[1:]; cmd {
		case "start":
			keys := args
			if len(keys) == 0 {
				keys = []string{abuseipdbtest.DefaultKey}
			}
			f := abuseipdbtest.New(abuseipdbtest.Options{Keys: keys})
			mu.Lock()
			fakes[ts] = f
			mu.Unlock()
			ts.Defer(func() {
				f.Close()
				mu.Lock()
				delete(fakes, ts)
				mu.Unlock()
			})
			ts.Setenv("ABUSEIPDB_URL", f.URL())
			ts.Setenv("ABUSEIPDB_KEY", keys[0])
		case "seed":
			if len(args) != 2 {
				ts.Fatalf("usage: abuseipdb-fake seed IP SCORE")
			}
			score, err := strconv.Atoi(args[1])
			ts.Check(err)
			get(ts).Seed(args[0], score)
		case "down", "up":
			get(ts).SetDown(cmd == "down")
		case "quota":
			if len(args) != 2 {
				ts.Fatalf("usage: abuseipdb-fake quota ENDPOINT N")
			}
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			get(ts).SetQuota(args[0], n)
		case "reports":
			if len(args) != 1 && len(args) != 3 {
				ts.Fatalf("usage: abuseipdb-fake reports N [IP CATEGORIES]")
			}
			n, err := strconv.Atoi(args[0])
			ts.Check(err)
			got := get(ts).Reports()
			if len(got) != n {
				ts.Fatalf("the fake received %d reports, want %d: %+v", len(got), n, got)
			}
			if len(args) == 3 {
				cats, err := abuseipdb.ParseCategories(args[2])
				ts.Check(err)
				last := got[len(got)-1]
				if last.IP != args[1] || !slices.Equal(last.Categories, cats) {
					ts.Fatalf("the last report is of %s with categories %v, want %s with %v", last.IP, last.Categories, args[1], cats)
				}
			}
		case "subst":
			for _, name := range args {
				p := ts.MkAbs(name)
				b, err := os.ReadFile(p)
				ts.Check(err)
				ts.Check(os.WriteFile(p, []byte(os.Expand(string(b), ts.Getenv)), 0o600))
				ts.Check(os.Chmod(p, 0o600)) // a key file readable by all is warned of
			}
		default:
			ts.Fatalf("abuseipdb-fake: unknown command %q", cmd)
		}
	}
}
