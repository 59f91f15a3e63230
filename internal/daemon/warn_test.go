package daemon

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunWarnsMissingLogpath: warden run says, as config check does, which
// jail's logpath matches no file, at its FILE:LINE.
func TestRunWarnsMissingLogpath(t *testing.T) {
	dir := t.TempDir()
	newConfig(t, dir, "\n[gone]\nenabled = true\nfilter = web\nlogpath = "+dir+"/nowhere/*.log\n")
	writeFile(t, filepath.Join(dir, "web.log"), "")
	writeFile(t, filepath.Join(dir, "other.log"), "")
	var logs syncBuffer
	d := startWith(t, dir, func(o *Options) { o.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	d.stop()
	out := logs.String()
	want := filepath.Join(dir, "etc", "jail.local") + ":"
	if !strings.Contains(out, "jail [gone]: no log file found for logpath "+dir+"/nowhere/*.log") || !strings.Contains(out, want) {
		t.Errorf("warden run's log does not warn of [gone]'s logpath at %s...:\n%s", want, out)
	}
	if strings.Contains(out, "jail [web]: no log file") {
		t.Errorf("a warning for a logpath that exists:\n%s", out)
	}
}
