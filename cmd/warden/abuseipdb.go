package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenipd/warden/internal/store"
)

const abuseLong = `Query AbuseIPDB, report to it by hand, and show what the daemon reported.

check, report and blacklist call the API. The key comes from --key-file FILE,
else from the configuration (--config DIR, default $WARDEN_CONFIG, else
/etc/warden): the abuseipdb action of the first enabled jail using it (or of
--jail NAME), its abuseipdb_apikey_file before its abuseipdb_apikey; without
such a jail, action.d/abuseipdb.local's [Init]. A relative
abuseipdb_apikey_file is taken from the configuration directory. The URL
comes from --url, else that action's abuseipdb_url, else
https://api.abuseipdb.com/api/v2. The key is sent as the Key header only and
never printed: messages say where it was found.

stats and badge read the daemon's store in --state-dir: what it reported,
what waits, and the quota AbuseIPDB said is left.`

func newAbuseIPDBCmd(s settings) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "abuseipdb",
		Short: "Check addresses on AbuseIPDB, report them, show what was reported",
		Long:  abuseLong,
		Args:  noSubcommandArgs,
		RunE:  groupRunE,
	}
	cmd.AddCommand(newAbuseCheckCmd(s), newAbuseReportCmd(s), newAbuseBlacklistCmd(s), newAbuseStatsCmd(), newAbuseBadgeCmd())
	return cmd
}

// stateFlag is the --state-dir option of stats and badge.
type stateFlag struct{ dir string }

func (f *stateFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dir, "state-dir", defaultStateDir, "the daemon's state directory (its store, warden.db)")
	_ = cmd.MarkFlagDirname("state-dir")
}

// open opens the daemon's store, which must exist: a missing one is a
// mistaken directory far more often than a daemon that never ran.
func (f *stateFlag) open() (*store.Store, error) {
	p := filepath.Join(f.dir, "warden.db")
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no store in %s: has warden run with --state-dir %s?", f.dir, f.dir)
	}
	return store.Open(p)
}

// abuseStats is what stats prints.
type abuseStats struct {
	Sent       int          `json:"sent"`
	Queued     int          `json:"queued"`
	Failed     int          `json:"failed"`
	Rejected   int          `json:"rejected"`
	Duplicates int          `json:"duplicates"` // dropped: reported less than 15 minutes before
	Addresses  int          `json:"addresses"`  // distinct addresses reported
	Quota      []abuseQuota `json:"quota"`
}

// abuseQuota is an endpoint's daily quota as AbuseIPDB's last answer said.
type abuseQuota struct {
	Endpoint  string     `json:"endpoint"`
	Limit     int        `json:"limit"`
	Remaining int        `json:"remaining"`
	Reset     *time.Time `json:"reset,omitempty"` // when it is full again, if known and to come
}

// readAbuseStats reads the counts and quotas; a quota whose reset time has
// passed is full again.
func readAbuseStats(ctx context.Context, st *store.Store, now time.Time) (abuseStats, error) {
	rs, err := st.ReportStats(ctx)
	if err != nil {
		return abuseStats{}, err
	}
	qs, err := st.Quotas(ctx)
	if err != nil {
		return abuseStats{}, err
	}
	out := abuseStats{Sent: rs.Sent, Queued: rs.Queued, Failed: rs.Failed, Rejected: rs.Rejected,
		Duplicates: rs.Duplicates, Addresses: rs.Addresses, Quota: []abuseQuota{}}
	for e, q := range qs {
		aq := abuseQuota{Endpoint: e, Limit: q.Limit, Remaining: q.Remaining}
		switch {
		case q.Reset.IsZero():
		case !now.Before(q.Reset):
			aq.Remaining = q.Limit
		default:
			r := q.Reset.UTC()
			aq.Reset = &r
		}
		out.Quota = append(out.Quota, aq)
	}
	sort.Slice(out.Quota, func(i, j int) bool { return out.Quota[i].Endpoint < out.Quota[j].Endpoint })
	return out, nil
}

// formatAbuseStats is stats' text.
func formatAbuseStats(s abuseStats) string {
	var b strings.Builder
	row := func(name string, v any) { fmt.Fprintf(&b, "%-21s %v\n", name+":", v) }
	row("reports sent", s.Sent)
	row("queued", s.Queued)
	row("failed", s.Failed)
	row("rejected", s.Rejected)
	row("duplicates dropped", s.Duplicates)
	row("addresses reported", s.Addresses)
	if len(s.Quota) == 0 {
		row("quota left", "not known yet (no answer from AbuseIPDB recorded)")
	}
	for i, q := range s.Quota {
		name := "quota left"
		if i > 0 {
			name = ""
		}
		v := fmt.Sprintf("%s %d/%d", q.Endpoint, q.Remaining, q.Limit)
		if q.Reset != nil {
			v += " until " + q.Reset.Format(time.RFC3339)
		}
		if i > 0 {
			fmt.Fprintf(&b, "%-21s %s\n", "", v)
		} else {
			row(name, v)
		}
	}
	return b.String()
}

func newAbuseStatsCmd() *cobra.Command {
	var f stateFlag
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats [--state-dir DIR] [--json]",
		Short: "Count the reports sent, queued, failed and rejected, and the addresses reported",
		Long: `Count what the daemon did with AbuseIPDB, from its store: the reports sent,
queued (waiting for the network, the quota or a valid key), failed (given
up), rejected (refused by AbuseIPDB, or not to be reported), dropped as
duplicates (the address was reported less than 15 minutes before), the
number of distinct addresses reported (what the badge shows), and the daily
quota left per endpoint, as AbuseIPDB's last answer said.

With --json, one JSON object: {"sent", "queued", "failed", "rejected",
"duplicates", "addresses", "quota": [{"endpoint", "limit", "remaining",
"reset"}]}.`,
		Example: `  warden abuseipdb stats
  warden abuseipdb stats --state-dir /var/lib/warden --json`,
		Args: argsBetween(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			defer st.Close()
			s, err := readAbuseStats(cmd.Context(), st, time.Now())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), s)
			}
			_, err = io.WriteString(cmd.OutOrStdout(), formatAbuseStats(s))
			return err
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

func newAbuseBadgeCmd() *cobra.Command {
	var f stateFlag
	var output string
	cmd := &cobra.Command{
		Use:   "badge [--state-dir DIR] [--output FILE]",
		Short: "Write an SVG badge with the number of addresses reported",
		Long: `Write an SVG badge, "reported to AbuseIPDB | 1,234 IPs", with the number of
distinct addresses this host reported (stats' "addresses reported"), for a
web page. It goes to standard output, or with --output to FILE, replaced at
once (written beside it, then renamed) and readable by all, so that a web
server never serves half of it.`,
		Example: `  warden abuseipdb badge --output /var/www/html/abuseipdb.svg`,
		Args:    argsBetween(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			defer st.Close()
			rs, err := st.ReportStats(cmd.Context())
			if err != nil {
				return err
			}
			svg := badgeSVG(badgeLabel, badgeValue(int64(rs.Addresses)))
			if output != "" {
				return writeFileAtomic(output, svg, 0o644)
			}
			_, err = cmd.OutOrStdout().Write(svg)
			return err
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the badge to FILE instead of standard output")
	_ = cmd.MarkFlagFilename("output", "svg")
	return cmd
}
