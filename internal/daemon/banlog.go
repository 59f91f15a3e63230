package daemon

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/wardenipd/warden/internal/ban"
)

// banLog writes a line per ban and unban in fail2ban's own log format
// ("2026-12-01 20:00:00,123 fail2ban.actions        [PID]: NOTICE  [sshd]
// Ban 192.0.2.7"), so that the stock recidive filter reads Warden's log of
// bans as it reads fail2ban.log. Restored bans are written as fail2ban
// writes them ("Restore Ban"), which recidive does not count again.
type banLog struct {
	mu  sync.Mutex
	f   *os.File
	pid int
}

func openBanLog(path string) (*banLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open ban log: %w", err)
	}
	return &banLog{f: f, pid: os.Getpid()}, nil
}

func (l *banLog) Name() string { return "banlog" }

func (l *banLog) Handle(_ context.Context, e ban.Event) error {
	verb := ""
	switch e.Kind {
	case ban.KindBan:
		verb = "Ban"
	case ban.KindRestore:
		verb = "Restore Ban"
	case ban.KindUnban:
		verb = "Unban"
	default:
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t := time.Now()
	_, err := fmt.Fprintf(l.f, "%s,%03d %-24s[%d]: %-7s [%s] %s %s\n", t.Format("2006-01-02 15:04:05"), t.Nanosecond()/1e6,
		"fail2ban.actions", l.pid, "NOTICE", e.Ban.Jail, verb, e.Ban.IP)
	if err != nil {
		return fmt.Errorf("write ban log: %w", err)
	}
	return nil
}

func (l *banLog) Close() error { return l.f.Close() }
