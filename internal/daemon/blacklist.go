package daemon

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/firewall"
)

// blacklistRule is the firewall rule of AbuseIPDB's blacklist: every
// port, every protocol, to this host and through it, dropped. It is
// Warden's own, apart from the jails': its entries are not bans (they
// are neither in the store nor reported), and they carry a timeout of
// twice the import interval, so the kernel drops a stale list by itself.
var blacklistRule = firewall.Rule{Name: "abuseipdb-bl", Block: firewall.Drop, Hooks: []firewall.Hook{firewall.Input, firewall.Forward}}

// blacklistWanted tells whether an abuseipdb action of jails asks for the
// blacklist import.
func blacklistWanted(jails []*config.Jail, configDir string) bool {
	_, ok := blacklistSettings(jails, configDir)
	return ok
}

// blacklistSettings are the settings of the first abuseipdb action that
// asks for the blacklist import.
func blacklistSettings(jails []*config.Jail, configDir string) (abuseipdb.Settings, bool) {
	for _, j := range jails {
		for _, a := range j.Actions {
			if a.Native != "abuseipdb" {
				continue
			}
			s, err := abuseipdb.SettingsFromParams(stringParams(a.Params), configDir, os.Getenv)
			if err == nil && s.BlacklistScore > 0 {
				return s, true
			}
		}
	}
	return abuseipdb.Settings{}, false
}

// blacklister is what the import needs of AbuseIPDB; *abuseipdb.Client is
// one.
type blacklister interface {
	Blacklist(ctx context.Context, q abuseipdb.BlacklistQuery) (*abuseipdb.Blacklist, error)
}

// runBlacklist imports AbuseIPDB's blacklist into its firewall rule every
// interval while the configuration asks for it (settings is read at each
// turn: a reload turns it on or off). A list still in the kernel from the
// last run is not fetched again at start (the endpoint allows 5 calls a
// day on the free plan).
func (d *Daemon) runBlacklist(ctx context.Context, settings func() (abuseipdb.Settings, bool), newClient func(abuseipdb.Settings) (blacklister, error)) {
	wait := time.Duration(0)
	if es, ok, err := d.fw.blacklistEntries(ctx); err == nil && ok && len(es) > 0 {
		if s, on := settings(); on {
			wait = s.BlacklistInterval
		}
	}
	t := d.o.Clock.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		next := time.Hour // while the import is off, or after a failure
		if s, on := settings(); on {
			if err := d.importBlacklist(ctx, s, newClient); err != nil {
				d.o.Log.Error("AbuseIPDB blacklist import failed", "err", err)
				var ae *abuseipdb.APIError
				if errors.As(err, &ae) && !ae.RateLimit.Reset.IsZero() {
					next = max(ae.RateLimit.Reset.Sub(d.o.Clock.Now()), time.Minute)
				}
			} else {
				next = s.BlacklistInterval
			}
		}
		t.Reset(next)
	}
}

// importBlacklist fetches the blacklist and sets the rule's entries.
func (d *Daemon) importBlacklist(ctx context.Context, s abuseipdb.Settings, newClient func(abuseipdb.Settings) (blacklister, error)) error {
	c, err := newClient(s)
	if err != nil {
		return err
	}
	bl, err := c.Blacklist(ctx, abuseipdb.BlacklistQuery{ConfidenceMinimum: s.BlacklistScore, IPVersion: s.BlacklistIPVersion})
	if err != nil {
		return err
	}
	var ps []netip.Prefix
	for _, e := range bl.Entries {
		a, err := netip.ParseAddr(e.IPAddress)
		if err != nil || !abuseipdb.Reportable(a.String()) || d.abuse.own.has(a.Unmap().String()) {
			continue // hostile or useless rows never reach the kernel; nor the host itself
		}
		a = a.Unmap()
		ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
	}
	if err := d.fw.setBlacklistEntries(ctx, ps, 2*s.BlacklistInterval); err != nil {
		return err
	}
	d.o.Log.Info("AbuseIPDB blacklist imported", "addresses", len(ps), "min_score", s.BlacklistScore, "generated", bl.GeneratedAt)
	return nil
}
