package abuseipdb

import (
	"bytes"
	"context"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TimeLayout is how the API writes times and how the client sends them:
// RFC 3339 with a numeric offset ("2019-03-21T16:35:16+00:00", doc §13).
const TimeLayout = "2006-01-02T15:04:05-07:00"

// ReportInfo is one report as check (verbose) and reports list it.
type ReportInfo struct {
	ReportedAt          time.Time `json:"reportedAt"`
	Comment             string    `json:"comment"`
	Categories          []int     `json:"categories"`
	ReporterID          int       `json:"reporterId"`
	ReporterCountryCode string    `json:"reporterCountryCode"` // "" when null
	ReporterCountryName string    `json:"reporterCountryName"`
}

// CheckResult is the check endpoint's data (doc §2.2). Nullable strings
// are "" when null; IsWhitelisted is nil when no whitelist look-up was
// made; LastReportedAt is zero when there is no report; CountryName and
// Reports come only with verbose.
type CheckResult struct {
	IPAddress            string       `json:"ipAddress"`
	IsPublic             bool         `json:"isPublic"`
	IPVersion            int          `json:"ipVersion"`
	IsWhitelisted        *bool        `json:"isWhitelisted"`
	AbuseConfidenceScore int          `json:"abuseConfidenceScore"`
	CountryCode          string       `json:"countryCode"`
	CountryName          string       `json:"countryName"`
	UsageType            string       `json:"usageType"`
	ISP                  string       `json:"isp"`
	Domain               string       `json:"domain"`
	Hostnames            []string     `json:"hostnames"`
	IsTor                bool         `json:"isTor"`
	TotalReports         int          `json:"totalReports"`
	NumDistinctUsers     int          `json:"numDistinctUsers"`
	LastReportedAt       time.Time    `json:"lastReportedAt"`
	Reports              []ReportInfo `json:"reports"`
	RateLimit            RateLimit    `json:"-"`
}

func checkIP(endpoint, ip string) (string, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return "", invalidf(endpoint, "%q is not an IP address", CutUTF8(ip, 64))
	}
	return a.Unmap().String(), nil
}

func checkAge(endpoint string, days int) error {
	if days != 0 && (days < 1 || days > 365) {
		return invalidf(endpoint, "maxAgeInDays %d is not in 1-365", days)
	}
	return nil
}

// Check looks an address up (doc §2). maxAgeInDays 0 lets the API use its
// default (30); verbose adds the reports and the country name.
func (c *Client) Check(ctx context.Context, ip string, maxAgeInDays int, verbose bool) (*CheckResult, error) {
	ip, err := checkIP(EndpointCheck, ip)
	if err != nil {
		return nil, err
	}
	if err := checkAge(EndpointCheck, maxAgeInDays); err != nil {
		return nil, err
	}
	q := url.Values{"ipAddress": {ip}}
	if maxAgeInDays != 0 {
		q.Set("maxAgeInDays", strconv.Itoa(maxAgeInDays))
	}
	if verbose {
		q.Set("verbose", "")
	}
	r, err := c.do(ctx, request{endpoint: EndpointCheck, method: http.MethodGet, query: q})
	if err != nil {
		return nil, err
	}
	var w struct {
		Data CheckResult `json:"data"`
	}
	if err := c.decode(EndpointCheck, r, &w); err != nil {
		return nil, err
	}
	w.Data.RateLimit = r.rl
	return &w.Data, nil
}

// ReportsPage is one page of the reports endpoint (doc §3).
type ReportsPage struct {
	Total           int          `json:"total"`
	Page            int          `json:"page"`
	Count           int          `json:"count"`
	PerPage         int          `json:"perPage"`
	LastPage        int          `json:"lastPage"`
	NextPageURL     string       `json:"nextPageUrl"` // "" at the end; do not parse it
	PreviousPageURL string       `json:"previousPageUrl"`
	Results         []ReportInfo `json:"results"`
	RateLimit       RateLimit    `json:"-"`
}

// Reports lists the reports of an address, a page at a time, newest first
// (doc §3). Zero maxAgeInDays, page or perPage leave the API's default
// (30, 1, 25); perPage is at most 100.
func (c *Client) Reports(ctx context.Context, ip string, maxAgeInDays, page, perPage int) (*ReportsPage, error) {
	ip, err := checkIP(EndpointReports, ip)
	if err != nil {
		return nil, err
	}
	if err := checkAge(EndpointReports, maxAgeInDays); err != nil {
		return nil, err
	}
	if page < 0 {
		return nil, invalidf(EndpointReports, "page %d is below 1", page)
	}
	if perPage < 0 || perPage > 100 {
		return nil, invalidf(EndpointReports, "perPage %d is not in 1-100", perPage)
	}
	q := url.Values{"ipAddress": {ip}}
	for k, v := range map[string]int{"maxAgeInDays": maxAgeInDays, "page": page, "perPage": perPage} {
		if v != 0 {
			q.Set(k, strconv.Itoa(v))
		}
	}
	r, err := c.do(ctx, request{endpoint: EndpointReports, method: http.MethodGet, query: q})
	if err != nil {
		return nil, err
	}
	var w struct {
		Data ReportsPage `json:"data"`
	}
	if err := c.decode(EndpointReports, r, &w); err != nil {
		return nil, err
	}
	w.Data.RateLimit = r.rl
	return &w.Data, nil
}

// BlacklistQuery selects the blacklist (doc §4.1). Zero values leave the
// API's defaults. ConfidenceMinimum (25-100) is a subscriber feature: for
// other accounts the API silently returns the score-100 list. Plaintext
// asks for the bare address list (Entries then carry only IPAddress).
type BlacklistQuery struct {
	ConfidenceMinimum int
	Limit             int
	IPVersion         int // 4 or 6; 0 for both
	OnlyCountries     []string
	ExceptCountries   []string
	Plaintext         bool
}

// BlacklistEntry is one address of the blacklist.
type BlacklistEntry struct {
	IPAddress            string    `json:"ipAddress"`
	CountryCode          string    `json:"countryCode"` // "" when null or absent
	AbuseConfidenceScore int       `json:"abuseConfidenceScore"`
	LastReportedAt       time.Time `json:"lastReportedAt"`
}

// Blacklist is the blacklist with the time the API generated it.
type Blacklist struct {
	GeneratedAt time.Time
	Entries     []BlacklistEntry
	RateLimit   RateLimit
}

func checkCountries(list []string) (string, error) {
	for _, c := range list {
		if len(c) != 2 || !isAlpha(c) {
			return "", invalidf(EndpointBlacklist, "%q is not an ISO 3166-1 alpha-2 country code", CutUTF8(c, 16))
		}
	}
	return strings.ToUpper(strings.Join(list, ",")), nil
}

func isAlpha(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// Blacklist fetches the blacklist (doc §4). The free plan allows five
// calls a day.
func (c *Client) Blacklist(ctx context.Context, bq BlacklistQuery) (*Blacklist, error) {
	q := url.Values{}
	if bq.ConfidenceMinimum != 0 {
		if bq.ConfidenceMinimum < 25 || bq.ConfidenceMinimum > 100 {
			return nil, invalidf(EndpointBlacklist, "confidenceMinimum %d is not in 25-100", bq.ConfidenceMinimum)
		}
		q.Set("confidenceMinimum", strconv.Itoa(bq.ConfidenceMinimum))
	}
	if bq.Limit < 0 {
		return nil, invalidf(EndpointBlacklist, "limit %d is below 1", bq.Limit)
	} else if bq.Limit > 0 {
		q.Set("limit", strconv.Itoa(bq.Limit))
	}
	switch bq.IPVersion {
	case 0:
	case 4, 6:
		q.Set("ipVersion", strconv.Itoa(bq.IPVersion))
	default:
		return nil, invalidf(EndpointBlacklist, "ipVersion %d is not 4 or 6", bq.IPVersion)
	}
	for k, list := range map[string][]string{"onlyCountries": bq.OnlyCountries, "exceptCountries": bq.ExceptCountries} {
		if len(list) == 0 {
			continue
		}
		s, err := checkCountries(list)
		if err != nil {
			return nil, err
		}
		q.Set(k, s)
	}
	rq := request{endpoint: EndpointBlacklist, method: http.MethodGet, query: q}
	if bq.Plaintext {
		q.Set("plaintext", "")
		rq.accept = "text/plain"
	}
	r, err := c.do(ctx, rq)
	if err != nil {
		return nil, err
	}
	bl := &Blacklist{RateLimit: r.rl}
	if bq.Plaintext && mediaType(r.header) != "application/json" {
		// Errors stay JSON even in plaintext mode (doc §4.3); those
		// are not 2xx and never reach here.
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(r.header.Get("X-Generated-At"))); err == nil {
			bl.GeneratedAt = t
		}
		for _, line := range strings.Split(string(r.body), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if _, err := netip.ParseAddr(line); err != nil {
				return nil, &APIError{Endpoint: EndpointBlacklist, Status: r.status,
					Detail: "plaintext blacklist holds a line that is not an address", RateLimit: r.rl, Body: c.snippet(r.body)}
			}
			bl.Entries = append(bl.Entries, BlacklistEntry{IPAddress: line})
		}
		return bl, nil
	}
	var w struct {
		Meta struct {
			GeneratedAt time.Time `json:"generatedAt"`
		} `json:"meta"`
		Data []BlacklistEntry `json:"data"`
	}
	if err := c.decode(EndpointBlacklist, r, &w); err != nil {
		return nil, err
	}
	bl.GeneratedAt, bl.Entries = w.Meta.GeneratedAt, w.Data
	return bl, nil
}

// Report is one report to send. Timestamp is the attack's time, sent in
// RFC 3339 with its offset; zero leaves the API to use the time of the
// report. Comment is cut at MaxCommentBytes on a UTF-8 boundary.
type Report struct {
	IP         string
	Categories []int
	Comment    string
	Timestamp  time.Time
}

// ReportResult is the report endpoint's answer: the address's score after
// the report.
type ReportResult struct {
	IPAddress            string    `json:"ipAddress"`
	AbuseConfidenceScore int       `json:"abuseConfidenceScore"`
	RateLimit            RateLimit `json:"-"`
}

type checkedReport struct {
	ip, cats, comment, ts string
}

func checkReport(endpoint string, rp Report) (checkedReport, error) {
	ip, err := checkIP(endpoint, rp.IP)
	if err != nil {
		return checkedReport{}, err
	}
	cats, err := checkCategories(endpoint, rp.Categories)
	if err != nil {
		return checkedReport{}, err
	}
	cr := checkedReport{ip: ip, cats: JoinCategories(cats), comment: CutUTF8(strings.ToValidUTF8(rp.Comment, ""), MaxCommentBytes)}
	if !rp.Timestamp.IsZero() {
		cr.ts = rp.Timestamp.Format(TimeLayout)
	}
	return cr, nil
}

// Report reports one address (doc §5). The same address reported again
// by the account within 15 minutes is answered with a 429 that
// APIError.IsDuplicate recognises.
func (c *Client) Report(ctx context.Context, rp Report) (*ReportResult, error) {
	cr, err := checkReport(EndpointReport, rp)
	if err != nil {
		return nil, err
	}
	form := url.Values{"ip": {cr.ip}, "categories": {cr.cats}}
	if cr.comment != "" {
		form.Set("comment", cr.comment)
	}
	if cr.ts != "" {
		form.Set("timestamp", cr.ts)
	}
	r, err := c.do(ctx, request{endpoint: EndpointReport, method: http.MethodPost, form: form})
	if err != nil {
		return nil, err
	}
	var w struct {
		Data ReportResult `json:"data"`
	}
	if err := c.decode(EndpointReport, r, &w); err != nil {
		return nil, err
	}
	w.Data.RateLimit = r.rl
	return &w.Data, nil
}

// BlockResult is the check-block endpoint's data (doc §6).
type BlockResult struct {
	NetworkAddress   string            `json:"networkAddress"`
	Netmask          string            `json:"netmask"`
	MinAddress       string            `json:"minAddress"`
	MaxAddress       string            `json:"maxAddress"`
	NumPossibleHosts int64             `json:"numPossibleHosts"`
	AddressSpaceDesc string            `json:"addressSpaceDesc"`
	ReportedAddress  []ReportedAddress `json:"reportedAddress"`
	RateLimit        RateLimit         `json:"-"`
}

// ReportedAddress is one reported address of a block.
type ReportedAddress struct {
	IPAddress            string    `json:"ipAddress"`
	NumReports           int       `json:"numReports"`
	MostRecentReport     time.Time `json:"mostRecentReport"`
	AbuseConfidenceScore int       `json:"abuseConfidenceScore"`
	CountryCode          string    `json:"countryCode"`
}

// CheckBlock looks a network up (doc §6): CIDR notation, v4 or v6. The
// free plan allows up to a /24 and 30 days (more is a 402).
func (c *Client) CheckBlock(ctx context.Context, network string, maxAgeInDays int) (*BlockResult, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(network))
	if err != nil {
		return nil, invalidf(EndpointCheckBlock, "%q is not a network in CIDR notation", CutUTF8(network, 64))
	}
	if err := checkAge(EndpointCheckBlock, maxAgeInDays); err != nil {
		return nil, err
	}
	q := url.Values{"network": {p.String()}}
	if maxAgeInDays != 0 {
		q.Set("maxAgeInDays", strconv.Itoa(maxAgeInDays))
	}
	r, err := c.do(ctx, request{endpoint: EndpointCheckBlock, method: http.MethodGet, query: q})
	if err != nil {
		return nil, err
	}
	var w struct {
		Data BlockResult `json:"data"`
	}
	if err := c.decode(EndpointCheckBlock, r, &w); err != nil {
		return nil, err
	}
	w.Data.RateLimit = r.rl
	return &w.Data, nil
}

// MaxBulkRows is how many reports one bulk-report carries: 10,000 lines
// including the header (doc §7).
const MaxBulkRows = 9999

// maxBulkBytes is the bulk file's size limit ("under 2 MB", doc §7).
const maxBulkBytes = 2 << 20

// BulkResult is the bulk-report endpoint's answer.
type BulkResult struct {
	SavedReports   int             `json:"savedReports"`
	InvalidReports []InvalidReport `json:"invalidReports"`
	RateLimit      RateLimit       `json:"-"`
}

// InvalidReport is a row the API refused. RowNumber counts the file's
// lines with the header as line 1 (so the first report is row 2; doc §7
// marks this UNVERIFIED), and Input is opaque (the docs and a real
// capture disagree on what it echoes).
type InvalidReport struct {
	Error     string `json:"error"`
	Input     string `json:"input"`
	RowNumber int    `json:"rowNumber"`
}

// BulkCSV writes reports as the bulk-report file (doc §7): the header
// "IP,Categories,ReportDate,Comment", categories quoted when several,
// ReportDate in RFC 3339 (the time of the call when zero: the column may
// not be empty), comments cut at 1,024 bytes. Double quotes in comments
// become single quotes and trailing backslashes are dropped: the API's
// CSV reader takes \" as an escaped quote, so neither can survive a
// round trip unambiguously.
func BulkCSV(rs []Report, now time.Time) ([]byte, error) {
	if len(rs) == 0 {
		return nil, invalidf(EndpointBulkReport, "no report")
	}
	if len(rs) > MaxBulkRows {
		return nil, invalidf(EndpointBulkReport, "%d reports: at most %d a file", len(rs), MaxBulkRows)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"IP", "Categories", "ReportDate", "Comment"})
	for i, rp := range rs {
		cr, err := checkReport(EndpointBulkReport, rp)
		if err != nil {
			return nil, invalidf(EndpointBulkReport, "report %d: %v", i+1, err)
		}
		if cr.ts == "" {
			cr.ts = now.Format(TimeLayout)
		}
		comment := strings.ReplaceAll(cr.comment, `"`, "'")
		comment = strings.TrimRight(comment, `\`)
		_ = w.Write([]string{cr.ip, cr.cats, cr.ts, comment})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, invalidf(EndpointBulkReport, "write csv: %v", err)
	}
	if buf.Len() >= maxBulkBytes {
		return nil, invalidf(EndpointBulkReport, "the file is %d bytes: it must be under 2 MB", buf.Len())
	}
	return buf.Bytes(), nil
}

// BulkReport sends up to MaxBulkRows reports in one request (doc §7): a
// multipart form with the CSV as the file field "csv". Rows the API
// refuses come back in InvalidReports; the rest are saved.
func (c *Client) BulkReport(ctx context.Context, rs []Report) (*BulkResult, error) {
	data, err := BulkCSV(rs, c.clk.Now())
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("csv", "report.csv")
	if err != nil {
		return nil, invalidf(EndpointBulkReport, "multipart: %v", err)
	}
	_, _ = fw.Write(data)
	if err := mw.Close(); err != nil {
		return nil, invalidf(EndpointBulkReport, "multipart: %v", err)
	}
	r, err := c.do(ctx, request{endpoint: EndpointBulkReport, method: http.MethodPost,
		body: body.Bytes(), contentType: mw.FormDataContentType()})
	if err != nil {
		return nil, err
	}
	var w struct {
		Data BulkResult `json:"data"`
	}
	if err := c.decode(EndpointBulkReport, r, &w); err != nil {
		return nil, err
	}
	w.Data.RateLimit = r.rl
	return &w.Data, nil
}

// ClearAddress deletes this account's reports of an address (doc §8) and
// returns how many there were. Its result carries no RateLimit; use
// ClearAddressRL for the headers.
func (c *Client) ClearAddress(ctx context.Context, ip string) (int, error) {
	n, _, err := c.ClearAddressRL(ctx, ip)
	return n, err
}

// ClearAddressRL is ClearAddress with the response's rate-limit headers.
func (c *Client) ClearAddressRL(ctx context.Context, ip string) (int, RateLimit, error) {
	ip, err := checkIP(EndpointClearAddress, ip)
	if err != nil {
		return 0, RateLimit{}, err
	}
	r, err := c.do(ctx, request{endpoint: EndpointClearAddress, method: http.MethodDelete, query: url.Values{"ipAddress": {ip}}})
	if err != nil {
		return 0, RateLimit{}, err
	}
	var w struct {
		Data struct {
			NumReportsDeleted int `json:"numReportsDeleted"`
		} `json:"data"`
	}
	if err := c.decode(EndpointClearAddress, r, &w); err != nil {
		return 0, r.rl, err
	}
	return w.Data.NumReportsDeleted, r.rl, nil
}
