package filter

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/f2btest"
)

// builtinOnStockSamples are the built-in filters that must pass fail2ban's
// own sample log of the stock filter of the same name: a jail written for
// fail2ban finds the same failures with Warden's filter.
var builtinOnStockSamples = []string{"sshd", "proftpd", "vsftpd", "recidive"}

// TestBuiltinPassesStockSamples runs Warden's built-in filters over
// fail2ban's sample logs for the stock filter of the same name (every
// failJSON expectation, every mode the sample tries).
func TestBuiltinPassesStockSamples(t *testing.T) {
	root := f2btest.Root(t)
	logs := f2btest.LogsDir(root)
	zone := posixZone(t, testTZ)
	now := func() time.Time { return time.Unix(testNow, 0) }
	for _, name := range builtinOnStockSamples {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(logs, name)); err != nil {
				t.Fatal(err)
			}
			n := runSamples(t, config.Options{Dir: t.TempDir()}, name, logs, zone, now)
			t.Logf("%d failJSON expectations", n)
		})
	}
}
