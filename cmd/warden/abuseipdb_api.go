package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/wardenipd/warden/internal/abuseipdb"
)

// apiCommand runs fn with a client built from the resolved key and URL;
// whatever goes wrong is explained in the user's terms, and the key is
// hidden from the error should a server or proxy have echoed it.
func apiCommand(s settings, f *apiFlags, fn func(ctx context.Context, c *abuseipdb.Client, a apiSettings, out io.Writer) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		a, err := f.resolve(s, cmd.ErrOrStderr())
		if err != nil {
			return redactKey(err, a.key)
		}
		c, err := abuseipdb.New(abuseipdb.Options{BaseURL: a.url, Key: a.key, Timeout: f.timeout, UserAgent: "warden/" + readBuildInfo().Version})
		if err != nil {
			return redactKey(err, a.key)
		}
		return redactKey(explainAPIError(fn(cmd.Context(), c, a, cmd.OutOrStdout()), a), a.key)
	}
}

// explainAPIError says what an API failure means for the user.
func explainAPIError(err error, a apiSettings) error {
	var ae *abuseipdb.APIError
	var ne *abuseipdb.NetworkError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae) && ae.IsAuth():
		return fmt.Errorf("AbuseIPDB rejected the API key from %s: %w", a.from, err)
	case errors.As(err, &ae) && ae.IsQuota():
		when := ""
		switch rl := ae.RateLimit; {
		case !rl.Reset.IsZero():
			when = "; it renews at " + rl.Reset.UTC().Format(time.RFC3339)
		case rl.RetryAfter > 0:
			when = "; it renews in " + rl.RetryAfter.String()
		}
		return fmt.Errorf("the daily quota of AbuseIPDB's %s endpoint is used up%s: %w", ae.Endpoint, when, err)
	case errors.As(err, &ae) && ae.Temporary():
		return fmt.Errorf("AbuseIPDB at %s is failing; try again later: %w", a.url, err)
	case errors.As(err, &ne):
		return fmt.Errorf("cannot reach AbuseIPDB at %s: %w", a.url, err)
	}
	return err
}

// printable makes text from the API (other people's comments, ISP names)
// safe for a terminal: control and bidirectional-override characters
// become U+FFFD, line breaks and tabs spaces.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// parseIP checks an address argument before anything is sent.
func parseIP(cmd *cobra.Command, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, usageErrorf(cmd, "%q is not an IP address", s)
	}
	return a.Unmap(), nil
}

func newAbuseCheckCmd(s settings) *cobra.Command {
	var f apiFlags
	var days int
	var reports, asJSON bool
	cmd := &cobra.Command{
		Use:   "check IP [--days N] [--reports] [--json]",
		Short: "Look an address up on AbuseIPDB: its confidence score and reports",
		Long: `Look IP up on AbuseIPDB: its abuse confidence score (0-100), how many
reports it had in the last --days days (1-365, default 30) from how many
users, its country, usage type, ISP, domain and host names. --reports lists
the reports too (the API's verbose): time, categories, the reporter's
country and comment. Text from AbuseIPDB is printed with control characters
replaced.

With --json, the API's data object: {"ipAddress", "isPublic", "ipVersion",
"isWhitelisted", "abuseConfidenceScore", "countryCode", "countryName",
"usageType", "isp", "domain", "hostnames", "isTor", "totalReports",
"numDistinctUsers", "lastReportedAt", "reports"}.`,
		Example: `  warden abuseipdb check 203.0.113.7
  warden abuseipdb check 2001:db8::7 --days 90 --reports
  warden abuseipdb check 203.0.113.7 --key-file /etc/warden/abuseipdb.key --json`,
		Args: argsBetween(1, 1, "IP"),
	}
	run := apiCommand(s, &f, func(ctx context.Context, c *abuseipdb.Client, _ apiSettings, out io.Writer) error {
		r, err := c.Check(ctx, cmd.Flags().Arg(0), days, reports)
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(out, checkJSONOf(r))
		}
		_, err = io.WriteString(out, formatCheck(r, days))
		return err
	})
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if _, err := parseIP(cmd, args[0]); err != nil {
			return err
		}
		if days < 1 || days > 365 {
			return usageErrorf(cmd, "--days %d: between 1 and 365", days)
		}
		return run(cmd, args)
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.IntVar(&days, "days", 30, "count the reports of the last N days (1-365)")
	fl.BoolVar(&reports, "reports", false, "list the reports too")
	fl.BoolVar(&asJSON, "json", false, "print the API's answer as JSON")
	return cmd
}

// checkJSON is check's --json: the API's fields, null where it says null.
type checkJSON struct {
	IPAddress            string                 `json:"ipAddress"`
	IsPublic             bool                   `json:"isPublic"`
	IPVersion            int                    `json:"ipVersion"`
	IsWhitelisted        *bool                  `json:"isWhitelisted"`
	AbuseConfidenceScore int                    `json:"abuseConfidenceScore"`
	CountryCode          *string                `json:"countryCode"`
	CountryName          *string                `json:"countryName,omitempty"`
	UsageType            *string                `json:"usageType"`
	ISP                  *string                `json:"isp"`
	Domain               *string                `json:"domain"`
	Hostnames            []string               `json:"hostnames"`
	IsTor                bool                   `json:"isTor"`
	TotalReports         int                    `json:"totalReports"`
	NumDistinctUsers     int                    `json:"numDistinctUsers"`
	LastReportedAt       *time.Time             `json:"lastReportedAt"`
	Reports              []abuseipdb.ReportInfo `json:"reports,omitempty"`
}

func checkJSONOf(r *abuseipdb.CheckResult) checkJSON {
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	j := checkJSON{IPAddress: r.IPAddress, IsPublic: r.IsPublic, IPVersion: r.IPVersion, IsWhitelisted: r.IsWhitelisted,
		AbuseConfidenceScore: r.AbuseConfidenceScore, CountryCode: str(r.CountryCode), CountryName: str(r.CountryName),
		UsageType: str(r.UsageType), ISP: str(r.ISP), Domain: str(r.Domain), Hostnames: r.Hostnames, IsTor: r.IsTor,
		TotalReports: r.TotalReports, NumDistinctUsers: r.NumDistinctUsers, Reports: r.Reports}
	if j.Hostnames == nil {
		j.Hostnames = []string{}
	}
	if !r.LastReportedAt.IsZero() {
		t := r.LastReportedAt
		j.LastReportedAt = &t
	}
	return j
}

// formatCheck is check's text.
func formatCheck(r *abuseipdb.CheckResult, days int) string {
	var b strings.Builder
	row := func(name, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-18s %s\n", name+":", v)
		}
	}
	yesNo := func(v bool) string {
		if v {
			return "yes"
		}
		return "no"
	}
	kind := "private"
	if r.IsPublic {
		kind = "public"
	}
	row("address", fmt.Sprintf("%s (IPv%d, %s)", printable(r.IPAddress), r.IPVersion, kind))
	row("confidence score", fmt.Sprintf("%d%%", r.AbuseConfidenceScore))
	rep := fmt.Sprintf("%d in %d days, by %d users", r.TotalReports, days, r.NumDistinctUsers)
	if !r.LastReportedAt.IsZero() {
		rep += ", last " + r.LastReportedAt.Format(time.RFC3339)
	}
	row("reports", rep)
	row("country", printable(strings.TrimSpace(r.CountryCode+" "+r.CountryName)))
	row("usage type", printable(r.UsageType))
	row("ISP", printable(r.ISP))
	row("domain", printable(r.Domain))
	row("host names", printable(strings.Join(r.Hostnames, ", ")))
	row("Tor exit node", yesNo(r.IsTor))
	wl := "not known"
	if r.IsWhitelisted != nil {
		wl = yesNo(*r.IsWhitelisted)
	}
	row("whitelisted", wl)
	for _, rp := range r.Reports {
		cats := make([]string, len(rp.Categories))
		for i, c := range rp.Categories {
			cats[i] = abuseipdb.Category(c).String()
		}
		from := rp.ReporterCountryCode
		if from == "" {
			from = "??"
		}
		fmt.Fprintf(&b, "  %s  %s  [%s]  %s\n", rp.ReportedAt.Format(time.RFC3339), printable(from),
			strings.Join(cats, ", "), printable(rp.Comment))
	}
	return b.String()
}

func newAbuseReportCmd(s settings) *cobra.Command {
	var f apiFlags
	var cats, comment, at string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "report IP --categories LIST [--comment TEXT] [--time TIME] [--json]",
		Short: "Report an address to AbuseIPDB by hand",
		Long: `Report IP to AbuseIPDB: --categories is a list of category IDs or names
("18,22", "brute-force,ssh"; see https://www.abuseipdb.com/categories),
--comment what was seen ("-": read it from standard input; cut at 1,024
bytes: strip your own host names, user names and other personal data
first), --time when the attack happened (RFC
3339, e.g. 2026-12-01T20:15:00Z; default now). It prints the address's
confidence score after the report.

Private, loopback, link-local and other non-public addresses are refused.
AbuseIPDB takes one report of an address per account every 15 minutes: a
second one is refused with a message saying so (exit status 1). A report
made here is not recorded in the daemon's store.`,
		Example: `  warden abuseipdb report 203.0.113.7 --categories 18,22 --comment 'sshd: 40 failed logins in 2 min'`,
		Args:    argsBetween(1, 1, "IP"),
	}
	var rep abuseipdb.Report
	run := apiCommand(s, &f, func(ctx context.Context, c *abuseipdb.Client, _ apiSettings, out io.Writer) error {
		r, err := c.Report(ctx, rep)
		if abuseipdb.IsDuplicate(err) {
			return fmt.Errorf("%s was reported less than 15 minutes ago by this account: AbuseIPDB takes one report of an address per 15 minutes (%w)", rep.IP, err)
		}
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(out, r)
		}
		_, err = fmt.Fprintf(out, "reported %s (%s): its confidence score is now %d%%\n",
			printable(r.IPAddress), categoryNames(rep.Categories), r.AbuseConfidenceScore)
		return err
	})
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ip, err := parseIP(cmd, args[0])
		if err != nil {
			return err
		}
		if !abuseipdb.Reportable(ip.String()) {
			why := notReportable(ip)
			if why == "" {
				why = "a reserved address"
			}
			return usageErrorf(cmd, "%s is %s: not reported", ip, why)
		}
		if cats == "" {
			return usageErrorf(cmd, "missing --categories (e.g. 18,22)")
		}
		ids, err := abuseipdb.ParseCategories(cats)
		if err != nil {
			return usageErrorf(cmd, "--categories %q: %v", cats, err)
		}
		if comment == "-" {
			b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), maxCommentInput))
			if err != nil {
				return fmt.Errorf("read the comment: %w", err)
			}
			comment = strings.TrimRight(string(b), "\n")
		}
		if len(comment) > abuseipdb.MaxCommentBytes {
			fmt.Fprintf(cmd.ErrOrStderr(), "note: the comment is cut at %d bytes, AbuseIPDB's limit\n", abuseipdb.MaxCommentBytes)
		}
		rep = abuseipdb.Report{IP: ip.String(), Categories: ids, Comment: comment}
		if at != "" {
			t, err := time.Parse(time.RFC3339, at)
			if err != nil {
				return usageErrorf(cmd, "--time %q: not an RFC 3339 time (2026-12-01T20:15:00Z)", at)
			}
			if t.After(time.Now().Add(time.Minute)) {
				return usageErrorf(cmd, "--time %s is in the future", at)
			}
			rep.Timestamp = t
		}
		return run(cmd, args)
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&cats, "categories", "", "category IDs or names, comma-separated (required)")
	fl.StringVar(&comment, "comment", "", "what was seen, \"-\" to read it from standard input (cut at 1,024 bytes)")
	fl.StringVar(&at, "time", "", "when the attack happened, RFC 3339 (default now)")
	fl.BoolVar(&asJSON, "json", false, "print the API's answer as JSON")
	return cmd
}

// maxCommentInput bounds what report reads of a comment on standard
// input: far more than is sent.
const maxCommentInput = 1 << 20

// categoryNames is "18 Brute-Force, 22 SSH".
func categoryNames(ids []int) string {
	s := make([]string, len(ids))
	for i, c := range ids {
		s[i] = fmt.Sprintf("%d %s", c, abuseipdb.Category(c))
	}
	return strings.Join(s, ", ")
}

// notReportable says why an address abuseipdb.Reportable refuses (the
// daemon's rule, which lets the documentation ranges through) is not one
// to report.
func notReportable(a netip.Addr) string {
	switch {
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "a link-local address"
	case a.IsMulticast():
		return "a multicast address"
	}
	for _, p := range nonPublicRanges() {
		if p.Contains(a) {
			return "not a public address (" + p.String() + ")"
		}
	}
	return ""
}

// nonPublicRanges are the reserved ranges netip does not name.
func nonPublicRanges() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),
		netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
		netip.MustParsePrefix("240.0.0.0/4"),   // with 255.255.255.255
	}
}

func newAbuseBlacklistCmd(s settings) *cobra.Command {
	var f apiFlags
	var q abuseipdb.BlacklistQuery
	var only, except string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "blacklist [--min-score N] [--limit N] [--ip-version 4|6] [--json]",
		Short: "Print AbuseIPDB's blacklist, one address a line",
		Long: `Print AbuseIPDB's blacklist: the most reported addresses, one a line,
highest score first, ready for a firewall set. --min-score (25-100, default
100) and the country filters are subscriber features: for other accounts
AbuseIPDB returns its score-100 list without saying so. --limit caps the
number of addresses (default the API's, 10,000). The free plan allows five
blacklist calls a day.

With --json: {"generatedAt", "data": [{"ipAddress", "countryCode",
"abuseConfidenceScore", "lastReportedAt"}]}.`,
		Example: `  warden abuseipdb blacklist --min-score 90 --ip-version 4 > blacklist.txt`,
		Args:    argsBetween(0, 0, ""),
	}
	run := apiCommand(s, &f, func(ctx context.Context, c *abuseipdb.Client, _ apiSettings, out io.Writer) error {
		bl, err := c.Blacklist(ctx, q)
		if err != nil {
			return err
		}
		if asJSON {
			gen := &bl.GeneratedAt
			if bl.GeneratedAt.IsZero() {
				gen = nil
			}
			data := bl.Entries
			if data == nil {
				data = []abuseipdb.BlacklistEntry{}
			}
			return printJSON(out, struct {
				GeneratedAt *time.Time                 `json:"generatedAt"`
				Data        []abuseipdb.BlacklistEntry `json:"data"`
			}{gen, data})
		}
		var b strings.Builder
		for _, e := range bl.Entries {
			// Only addresses: a line of anything else could end up in
			// a firewall command.
			if a, err := netip.ParseAddr(e.IPAddress); err == nil {
				b.WriteString(a.String())
				b.WriteByte('\n')
			}
		}
		_, err = io.WriteString(out, b.String())
		return err
	})
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		switch {
		case q.ConfidenceMinimum < 25 || q.ConfidenceMinimum > 100:
			return usageErrorf(cmd, "--min-score %d: between 25 and 100", q.ConfidenceMinimum)
		case q.Limit < 0:
			return usageErrorf(cmd, "--limit %d: not a number of addresses", q.Limit)
		case q.IPVersion != 0 && q.IPVersion != 4 && q.IPVersion != 6:
			return usageErrorf(cmd, "--ip-version %d: 4 or 6", q.IPVersion)
		}
		q.OnlyCountries, q.ExceptCountries = splitList(only), splitList(except)
		return run(cmd, args)
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.IntVar(&q.ConfidenceMinimum, "min-score", 100, "lowest confidence score (25-100; below 100 for subscribers)")
	fl.IntVar(&q.Limit, "limit", 0, "at most N addresses (default the API's)")
	fl.IntVar(&q.IPVersion, "ip-version", 0, "4 or 6: only addresses of that version")
	fl.StringVar(&only, "only-countries", "", "only these countries, ISO codes comma-separated (subscribers)")
	fl.StringVar(&except, "except-countries", "", "not these countries, ISO codes comma-separated (subscribers)")
	fl.BoolVar(&asJSON, "json", false, "print the API's answer as JSON")
	return cmd
}

// splitList splits a comma-separated list, without empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
