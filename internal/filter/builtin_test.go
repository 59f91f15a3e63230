package filter

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/f2btest"
)

// builtinSamples is where the sample logs of Warden's built-in filters
// live, one per filter, named after it, with failJSON expectations.
const builtinSamples = "../../testdata/samples"

func readSampleInfo(t *testing.T, path string) f2btest.SampleInfo {
	t.Helper()
	info, _, ok, err := f2btest.ReadSample(path)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatalf("%s: no \"# sampleInfo: {...}\" line", path)
	}
	if info.Source == "" || info.Now == "" {
		t.Fatalf("%s: sampleInfo needs source and now", path)
	}
	return info
}

// builtinFilters lists the filters of Warden's embedded defaults (not the
// shared *common.conf files).
func builtinFilters(t *testing.T) []string {
	t.Helper()
	ents, err := fs.ReadDir(config.Builtin(), "filter.d")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".conf") && n != "common.conf" && !strings.HasSuffix(n, "-common.conf") {
			names = append(names, strings.TrimSuffix(n, ".conf"))
		}
	}
	return names
}

// TestBuiltinFilterSamples checks every built-in filter against its sample
// log: each failJSON expectation holds, every failregex has a sample, and
// each sample has lines that must match and lines that must not.
func TestBuiltinFilterSamples(t *testing.T) {
	names := builtinFilters(t)
	if len(names) == 0 {
		t.Fatal("no built-in filters")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(builtinSamples, name)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("built-in filter %s has no sample log: %v", name, err)
			}
			info := readSampleInfo(t, path)
			at, err := time.Parse(time.RFC3339, info.Now)
			if err != nil {
				t.Fatalf("%s: sampleInfo now: %v", path, err)
			}
			now := func() time.Time { return at }
			n := runSamples(t, config.Options{Dir: t.TempDir()}, name, builtinSamples, time.UTC, now)
			b, _ := os.ReadFile(path)
			if n == 0 || !strings.Contains(string(b), `"match": true`) || !strings.Contains(string(b), `"match": false`) {
				t.Errorf("%s: a sample needs lines that match and lines that do not (%d expectations)", path, n)
			}
		})
	}
}

// TestBuiltinCommonServesStockFilters: a filter written for fail2ban that
// includes common.conf works over Warden's own common.conf. Every stock
// filter of the package, without the package's common.conf, passes its
// sample log's expectations.
func TestBuiltinCommonServesStockFilters(t *testing.T) {
	root := f2btest.Root(t)
	stock := filepath.Join(root, "etc", "fail2ban", "filter.d")
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "filter.d"), 0o755))
	ents, err := os.ReadDir(stock)
	must(t, err)
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || n == "common.conf" {
			continue
		}
		copyFile(t, filepath.Join(stock, n), filepath.Join(dir, "filter.d", n))
		if strings.HasSuffix(n, ".conf") && !strings.HasSuffix(n, "-common.conf") {
			names = append(names, strings.TrimSuffix(n, ".conf"))
		}
	}
	logs := f2btest.LogsDir(root)
	zone := posixZone(t, testTZ)
	now := func() time.Time { return time.Unix(testNow, 0) }
	total := 0
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			total += runSamples(t, config.Options{Dir: dir}, name, logs, zone, now)
		})
	}
	if total < 1000 {
		t.Errorf("only %d failJSON expectations checked", total)
	}
}
