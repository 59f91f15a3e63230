package filter

import (
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/f2btest"
)

// TestBuiltinWebPassesStockSamples: the built-in web filters pass
// fail2ban's own sample logs of the stock filters of the same name. (Those
// of apache-auth, apache-botsearch and drupal-auth pass too, but have
// regexes for what only Warden finds, which fail2ban's samples do not
// show, so the runner's "every failregex has a sample" fails them.)
func TestBuiltinWebPassesStockSamples(t *testing.T) {
	root := f2btest.Root(t)
	logs := f2btest.LogsDir(root)
	zone := posixZone(t, testTZ)
	now := func() time.Time { return time.Unix(testNow, 0) }
	for _, name := range []string{"apache-badbots", "nginx-http-auth", "nginx-botsearch"} {
		t.Run(name, func(t *testing.T) {
			n := runSamples(t, config.Options{Dir: t.TempDir()}, name, logs, zone, now)
			t.Logf("%d failJSON expectations", n)
		})
	}
}
