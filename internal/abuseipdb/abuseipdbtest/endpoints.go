package abuseipdbtest

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb"
)

func multipartReader(data []byte, boundary string) *multipart.Reader {
	if boundary == "" {
		return nil
	}
	return multipart.NewReader(bytes.NewReader(data), boundary)
}

// The documented error texts (doc §2.3, §5.2, §6).
const (
	detailInvalidIP  = "The ip address must be a valid IPv4 or IPv6 address (e.g. 8.8.8.8 or 2001:4860:4860::8888)."
	detailMaxAge     = "The max age in days must be between 1 and 365."
	detailCategories = "The categories field is required."
	detailDuplicate  = "You can only report the same IP address (`%s`) once in 15 minutes."
	detailPay30Days  = "Must be subscribed to search beyond 30 days"
)

// addrParam reads the address parameter name (ipAddress or ip).
func (c *call) addrParam(name string) (netip.Addr, bool) {
	v := c.p.get(name)
	if v == "" {
		// choice: the wording is UNVERIFIED (doc §2.3), Laravel's usual one.
		c.fail(errParam(422, "The "+map[string]string{"ip": "ip", "ipAddress": "ip address"}[name]+" field is required.", name))
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		// choice for /report: the same text as /check (UNVERIFIED, doc §5.2).
		c.fail(errParam(422, detailInvalidIP, name))
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// maxAge reads maxAgeInDays: 1 to 365, default 30 (doc §2.1).
func (c *call) maxAge() (int, bool) {
	v := c.p.get("maxAgeInDays")
	if v == "" {
		return 30, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 365 {
		c.fail(errParam(422, detailMaxAge, "maxAgeInDays"))
		return 0, false
	}
	return n, true
}

// intParam reads an optional integer in [lo, hi] (hi 0: no upper bound).
func (c *call) intParam(name string, def, lo, hi int, detail string) (int, bool) {
	v := c.p.get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || hi > 0 && n > hi {
		c.fail(errParam(422, detail, name))
		return 0, false
	}
	return n, true
}

// addrInfo is what the fake says of an address at a time.
type addrInfo struct {
	ip       string
	entry    *Entry
	reports  []Received // within the window, newest first
	users    int
	last     time.Time
	score    int
	reported bool // has any report, in or out of the window
}

// infoLocked gathers an address's reports newer than since.
func (s *Server) infoLocked(ip string, since time.Time) addrInfo {
	in := addrInfo{ip: ip, entry: s.entries[ip]}
	users := map[string]bool{}
	allUsers := map[string]bool{}
	for i, r := range s.reports {
		if r.IP != ip {
			continue
		}
		in.reported = true
		u := r.Key
		if u == "" {
			u = "seed " + strconv.Itoa(i)
		}
		allUsers[u] = true
		t := r.reportedAt()
		if t.Before(since) {
			continue
		}
		in.reports = append(in.reports, r)
		users[u] = true
		if t.After(in.last) {
			in.last = t
		}
	}
	slices.SortStableFunc(in.reports, func(a, b Received) int { return b.reportedAt().Compare(a.reportedAt()) })
	in.users = len(users)
	switch {
	case in.entry != nil:
		in.score = in.entry.Score
	default:
		// choice: AbuseIPDB's formula is not public; 25 a distinct
		// reporter, at most 100.
		in.score = min(100, 25*len(allUsers))
	}
	return in
}

func (s *Server) reporterID(key string) int {
	if id, ok := s.keys[key]; ok {
		return id
	}
	return 1
}

type wireReport struct {
	ReportedAt          string  `json:"reportedAt"`
	Comment             string  `json:"comment"`
	Categories          []int   `json:"categories"`
	ReporterID          int     `json:"reporterId"`
	ReporterCountryCode *string `json:"reporterCountryCode"`
	ReporterCountryName *string `json:"reporterCountryName"`
}

func (s *Server) wireReports(rs []Received) []wireReport {
	out := make([]wireReport, 0, len(rs))
	for _, r := range rs {
		cats := r.Categories
		if cats == nil {
			cats = []int{}
		}
		// choice: reporter countries are null (allowed, doc §3).
		out = append(out, wireReport{ReportedAt: apiTime(r.reportedAt()), Comment: r.Comment, Categories: cats,
			ReporterID: s.reporterID(r.Key)})
	}
	return out
}

func isPublic(a netip.Addr) bool {
	return a.IsGlobalUnicast() && !a.IsPrivate() && !netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}

// check answers GET /check (doc §2).
func (c *call) check() {
	a, ok := c.addrParam("ipAddress")
	if !ok {
		return
	}
	days, ok := c.maxAge()
	if !ok {
		return
	}
	verbose := c.p.has("verbose")
	s := c.s
	s.mu.Lock()
	in := s.infoLocked(a.String(), c.now().Add(-time.Duration(days)*24*time.Hour))
	data := map[string]any{
		"ipAddress": a.String(), "isPublic": isPublic(a), "ipVersion": map[bool]int{true: 4, false: 6}[a.Is4()],
		"isWhitelisted": nil, "abuseConfidenceScore": in.score, "countryCode": nil, "usageType": nil,
		"isp": nil, "domain": nil, "hostnames": []string{}, "isTor": false,
		"totalReports": len(in.reports), "numDistinctUsers": in.users, "lastReportedAt": nil,
	}
	if !isPublic(a) {
		data["usageType"] = "Reserved"
	}
	if a.IsLoopback() {
		data["isp"] = "Loopback"
	}
	var countryName *string
	if e := in.entry; e != nil {
		data["countryCode"] = nullable(e.CountryCode)
		countryName = nullable(e.CountryName)
		if e.UsageType != "" {
			data["usageType"] = e.UsageType
		}
		if e.ISP != "" {
			data["isp"] = e.ISP
		}
		data["domain"] = nullable(e.Domain)
		if e.Hostnames != nil {
			data["hostnames"] = slices.Clone(e.Hostnames)
		}
		if e.IsWhitelisted != nil {
			data["isWhitelisted"] = *e.IsWhitelisted
		}
		data["isTor"] = e.IsTor
	}
	if !in.last.IsZero() {
		data["lastReportedAt"] = apiTime(in.last)
	}
	if verbose {
		// Only with verbose (doc §2.1): the name and at most 10,000 reports.
		data["countryName"] = countryName
		rs := in.reports
		if len(rs) > 10000 {
			rs = rs[:10000]
		}
		data["reports"] = s.wireReports(rs)
	}
	s.mu.Unlock()
	c.ok(map[string]any{"data": data})
}

// reportsList answers GET /reports (doc §3).
func (c *call) reportsList() {
	a, ok := c.addrParam("ipAddress")
	if !ok {
		return
	}
	days, ok := c.maxAge()
	if !ok {
		return
	}
	// choice: the texts of these two 422s are not documented.
	page, ok := c.intParam("page", 1, 1, 0, "The page must be at least 1.")
	if !ok {
		return
	}
	perPage, ok := c.intParam("perPage", 25, 1, 100, "The per page must be between 1 and 100.")
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	in := s.infoLocked(a.String(), c.now().Add(-time.Duration(days)*24*time.Hour))
	total := len(in.reports)
	lastPage := max(1, (total+perPage-1)/perPage)
	var rs []Received
	if from := (page - 1) * perPage; from < total {
		rs = in.reports[from:min(total, from+perPage)]
	}
	results := s.wireReports(rs)
	s.mu.Unlock()
	pageURL := func(n int) *string {
		q := url.Values{"ipAddress": {a.String()}, "page": {strconv.Itoa(n)}, "perPage": {strconv.Itoa(perPage)}}
		u := "http://" + c.r.Host + "/api/v2/reports?" + q.Encode()
		return &u
	}
	var next, prev *string
	if page < lastPage {
		next = pageURL(page + 1)
	}
	if page > 1 {
		prev = pageURL(min(page-1, lastPage))
	}
	c.ok(map[string]any{"data": map[string]any{
		"total": total, "page": page, "count": len(results), "perPage": perPage, "lastPage": lastPage,
		"nextPageUrl": next, "previousPageUrl": prev, "results": results,
	}})
}

// blacklist answers GET /blacklist (doc §4).
func (c *call) blacklist() {
	// choice: the server's answer to a confidenceMinimum outside 25-100,
	// a bad limit or ipVersion is UNVERIFIED (the official client refuses
	// them before sending); the fake answers 422.
	minScore, ok := c.intParam("confidenceMinimum", 100, 25, 100, "The confidence minimum must be between 25 and 100.")
	if !ok {
		return
	}
	limit, ok := c.intParam("limit", 10000, 1, 0, "The limit must be at least 1.")
	if !ok {
		return
	}
	version, ok := c.intParam("ipVersion", 0, 4, 6, "The selected ip version is invalid.")
	if !ok {
		return
	}
	if version == 5 {
		c.fail(errParam(422, "The selected ip version is invalid.", "ipVersion"))
		return
	}
	if !c.s.opts.Subscriber {
		// "degrades gracefully to the simple blacklist", no error (doc §4.1).
		minScore = 100
		limit = min(limit, 10000)
	}
	only := upperSet(c.p.list("onlyCountries"))
	except := upperSet(c.p.list("exceptCountries"))
	type row struct {
		IPAddress            string  `json:"ipAddress"`
		CountryCode          *string `json:"countryCode"`
		AbuseConfidenceScore int     `json:"abuseConfidenceScore"`
		LastReportedAt       string  `json:"lastReportedAt"`
		last                 time.Time
		addr                 netip.Addr
	}
	s := c.s
	s.mu.Lock()
	var rows []row
	for _, ip := range s.knownLocked() {
		a := netip.MustParseAddr(ip)
		if version == 4 && !a.Is4() || version == 6 && a.Is4() {
			continue
		}
		in := s.infoLocked(ip, time.Time{})
		if in.score < minScore {
			continue
		}
		cc := ""
		if in.entry != nil {
			cc = strings.ToUpper(in.entry.CountryCode)
		}
		// choice: the country filters apply on every plan (a subscriber
		// feature per a third party only, doc §4.1); an address with no
		// country passes exceptCountries and fails onlyCountries.
		if len(only) > 0 && !only[cc] || cc != "" && except[cc] {
			continue
		}
		last := in.last
		if last.IsZero() && in.entry != nil {
			last = in.entry.seeded
		}
		rows = append(rows, row{IPAddress: ip, CountryCode: nullable(cc), AbuseConfidenceScore: in.score,
			LastReportedAt: apiTime(last), last: last, addr: a})
	}
	s.mu.Unlock()
	// Score descending, then last report descending (doc §4.2).
	slices.SortFunc(rows, func(x, y row) int {
		return cmp.Or(cmp.Compare(y.AbuseConfidenceScore, x.AbuseConfidenceScore), y.last.Compare(x.last), x.addr.Compare(y.addr))
	})
	if len(rows) > limit {
		rows = rows[:limit]
	}
	generated := apiTime(c.now())
	if c.p.has("plaintext") || strings.Contains(c.r.Header.Get("Accept"), "text/plain") {
		// choice: no trailing newline (UNVERIFIED, doc §4.3).
		ips := make([]string, len(rows))
		for i, r := range rows {
			ips[i] = r.IPAddress
		}
		c.headers()
		c.w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		c.w.Header().Set("X-Generated-At", generated)
		c.w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(c.w, strings.Join(ips, "\n"))
		return
	}
	if rows == nil {
		rows = []row{}
	}
	c.ok(map[string]any{"meta": map[string]any{"generatedAt": generated}, "data": rows})
}

func upperSet(list []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range list {
		m[strings.ToUpper(s)] = true
	}
	return m
}

// knownLocked lists every address the fake knows: seeded or reported.
func (s *Server) knownLocked() []string {
	seen := map[string]bool{}
	var out []string
	for ip := range s.entries {
		seen[ip] = true
		out = append(out, ip)
	}
	for _, r := range s.reports {
		if !seen[r.IP] {
			seen[r.IP] = true
			out = append(out, r.IP)
		}
	}
	return out
}

// parseCategories reads a report's categories: comma-separated IDs,
// 1 to 30 of them, each in 1..23; nil when any is not.
func parseCategories(v string) []int {
	var out []int
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || !abuseipdb.Category(n).Valid() {
			return nil
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) > abuseipdb.MaxCategoryIDs {
		return nil
	}
	return out
}

// parseTime reads a report time: RFC 3339 (the documented form), or a
// date and time without a zone, taken as the server's (US Eastern, doc §7).
func (s *Server) parseTime(v string) (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05-0700", "2006-01-02 15:04:05-07:00"} {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	for _, l := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, v, s.nyc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// report answers POST /report (doc §5).
func (c *call) report() {
	a, ok := c.addrParam("ip")
	if !ok {
		return
	}
	// choice: any ID outside 1..23 is a 422 with the "required" text, as
	// in the one mock that shows invalid IDs (doc §5.2, UNVERIFIED).
	cats := parseCategories(strings.Join(c.p.v["categories"], ","))
	if len(cats) == 0 {
		c.fail(errParam(422, detailCategories, "categories"))
		return
	}
	var ts time.Time
	if v := c.p.get("timestamp"); v != "" {
		t, ok := c.s.parseTime(v)
		if !ok {
			// choice: the answer to a bad timestamp is UNVERIFIED.
			c.fail(errParam(422, "The timestamp is not a valid date.", "timestamp"))
			return
		}
		ts = t
	}
	comment := abuseipdb.CutUTF8(c.p.v.Get("comment"), abuseipdb.MaxCommentBytes)
	ip := a.String()
	dup := apiErr{Detail: fmt.Sprintf(detailDuplicate, ip), Status: 429, Source: &apiSource{Parameter: "ip"}}
	if ip == "127.0.0.2" { // the test address: always the 15-minute 429 (doc §5.2)
		c.fail(dup)
		return
	}
	s := c.s
	s.mu.Lock()
	now := s.clk.Now()
	lk := c.key + " " + ip
	if last, ok := s.last[lk]; ok && now.Sub(last) < 15*time.Minute {
		s.mu.Unlock()
		// choice: no Retry-After on this 429 (UNVERIFIED, doc §10.1).
		c.fail(dup)
		return
	}
	s.last[lk] = now
	s.reports = append(s.reports, Received{IP: ip, Categories: cats, Comment: comment, Timestamp: ts, At: now,
		Key: c.key, Endpoint: abuseipdb.EndpointReport})
	score := s.infoLocked(ip, time.Time{}).score
	s.mu.Unlock()
	c.ok(map[string]any{"data": map[string]any{"ipAddress": ip, "abuseConfidenceScore": score}})
}

// checkBlock answers GET /check-block (doc §6).
func (c *call) checkBlock() {
	v := c.p.get("network")
	if v == "" {
		c.fail(errParam(422, "The network field is required.", "network")) // choice: wording UNVERIFIED
		return
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		c.fail(errParam(422, "The network must be a valid IPv4 or IPv6 network in CIDR notation.", "network")) // choice
		return
	}
	p = p.Masked()
	days, ok := c.maxAge()
	if !ok {
		return
	}
	maxDays, minBits := 30, 24
	if c.s.opts.Subscriber {
		maxDays, minBits = 365, 16
	}
	if !p.Addr().Is4() {
		minBits += 40 // choice: the docs give no IPv6 caps; /64 free, /56 subscriber
	}
	if days > maxDays {
		c.fail(apiErr{Detail: detailPay30Days, Status: 402, Source: &apiSource{Parameter: "maxAgeInDays"}})
		return
	}
	if p.Bits() < minBits {
		// choice: the detail for a too large prefix is UNVERIFIED.
		c.fail(errParam(402, fmt.Sprintf("Must be subscribed to search networks larger than /%d", minBits), "network"))
		return
	}
	first, last, hosts := span(p)
	minA, maxA := first, last
	if p.Addr().Is4() && p.Bits() <= 30 {
		minA, maxA = first.Next(), last.Prev()
	}
	type row struct {
		IPAddress            string  `json:"ipAddress"`
		NumReports           int     `json:"numReports"`
		MostRecentReport     string  `json:"mostRecentReport"`
		AbuseConfidenceScore int     `json:"abuseConfidenceScore"`
		CountryCode          *string `json:"countryCode"`
		addr                 netip.Addr
	}
	s := c.s
	s.mu.Lock()
	rows := []row{}
	for _, ip := range s.knownLocked() {
		a := netip.MustParseAddr(ip)
		if !p.Contains(a) {
			continue
		}
		in := s.infoLocked(ip, c.now().Add(-time.Duration(days)*24*time.Hour))
		if len(in.reports) == 0 {
			continue
		}
		cc := ""
		if in.entry != nil {
			cc = in.entry.CountryCode
		}
		rows = append(rows, row{IPAddress: ip, NumReports: len(in.reports), MostRecentReport: apiTime(in.last),
			AbuseConfidenceScore: in.score, CountryCode: nullable(cc), addr: a})
	}
	s.mu.Unlock()
	slices.SortFunc(rows, func(x, y row) int { return x.addr.Compare(y.addr) })
	c.ok(map[string]any{"data": map[string]any{
		"networkAddress": p.Addr().String(), "netmask": netmask(p).String(),
		"minAddress": minA.String(), "maxAddress": maxA.String(), "numPossibleHosts": hosts,
		"addressSpaceDesc": spaceDesc(p.Addr()), "reportedAddress": rows,
	}})
}

// span returns a prefix's first and last address and its number of
// possible hosts (the network and broadcast addresses left out of an IPv4
// block up to /30), capped at MaxInt64.
func span(p netip.Prefix) (first, last netip.Addr, hosts int64) {
	first = p.Addr()
	b := first.AsSlice()
	host := len(b)*8 - p.Bits()
	for i := range b {
		bitsLeft := host - (len(b)-1-i)*8
		switch {
		case bitsLeft >= 8:
			b[i] = 0xff
		case bitsLeft > 0:
			b[i] |= byte(1<<bitsLeft - 1)
		}
	}
	last, _ = netip.AddrFromSlice(b)
	n := new(big.Int).Lsh(big.NewInt(1), uint(host))
	if first.Is4() && p.Bits() <= 30 {
		n.Sub(n, big.NewInt(2))
	}
	if !n.IsInt64() {
		return first, last, math.MaxInt64
	}
	return first, last, n.Int64()
}

func netmask(p netip.Prefix) netip.Addr {
	b := make([]byte, p.Addr().BitLen()/8)
	for i := 0; i < p.Bits(); i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func spaceDesc(a netip.Addr) string {
	switch {
	case a.IsLoopback():
		return "Loopback"
	case a.IsPrivate():
		return "Private-Use Networks"
	case a.IsLinkLocalUnicast():
		return "Link Local"
	case a.IsMulticast():
		return "Multicast"
	}
	return "Internet" // choice: the real descriptions are not documented beyond "Loopback"
}

type invalidRow struct {
	Error     string `json:"error"`
	Input     string `json:"input"`
	RowNumber int    `json:"rowNumber"`
}

// bulkReport answers POST /bulk-report (doc §7).
func (c *call) bulkReport() {
	data, ok := c.p.files["csv"]
	if !ok {
		if v, has := c.p.v["csv"]; has && len(v) > 0 {
			data = []byte(v[0])
		} else {
			c.fail(errParam(422, "The csv field is required.", "csv")) // choice: wording UNVERIFIED
			return
		}
	}
	if len(data) >= 2<<20 {
		c.fail(errParam(422, "The csv may not be greater than 2048 kilobytes.", "csv")) // choice
		return
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	// choice: encoding/csv with lazy quotes, not PHP's reader with its \"
	// escape; the client never writes \" or a trailing backslash.
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = -1
	rd.LazyQuotes = true
	records, err := rd.ReadAll()
	if err != nil {
		c.fail(errParam(422, "The csv file could not be parsed.", "csv")) // choice
		return
	}
	if len(records) > 10000 {
		c.fail(errParam(422, "The csv file may not have more than 10,000 lines.", "csv")) // choice
		return
	}
	if len(records) == 0 || strings.Join(records[0], ",") != "IP,Categories,ReportDate,Comment" {
		c.fail(errParam(422, "The csv file must begin with the headings IP,Categories,ReportDate,Comment.", "csv")) // choice
		return
	}
	s := c.s
	invalid := []invalidRow{}
	var saved []Received
	seen := map[string]bool{}
	now := c.now()
	for i, rec := range records[1:] {
		row := i + 2 // choice: the header is row 1 (UNVERIFIED, doc §7)
		for len(rec) < 4 {
			rec = append(rec, "")
		}
		a, err := netip.ParseAddr(strings.TrimSpace(rec[0]))
		if err != nil {
			invalid = append(invalid, invalidRow{"Invalid IP", rec[0], row})
			continue
		}
		ip := a.Unmap().String()
		// choice: "Duplicate IP" is an address repeated in the file; the
		// 15-minute rule is not applied to bulk rows (UNVERIFIED).
		if seen[ip] {
			invalid = append(invalid, invalidRow{"Duplicate IP", rec[0], row})
			continue
		}
		cats := parseCategories(rec[1])
		if len(cats) == 0 {
			// The real API echoes the categories value (doc §7, S7).
			invalid = append(invalid, invalidRow{"Invalid Category", rec[1], row})
			continue
		}
		ts, ok := s.parseTime(strings.TrimSpace(rec[2]))
		if !ok {
			invalid = append(invalid, invalidRow{"Invalid Date", rec[2], row}) // choice: UNVERIFIED text
			continue
		}
		seen[ip] = true
		saved = append(saved, Received{IP: ip, Categories: cats, Comment: abuseipdb.CutUTF8(rec[3], abuseipdb.MaxCommentBytes),
			Timestamp: ts, At: now, Key: c.key, Endpoint: abuseipdb.EndpointBulkReport})
	}
	s.mu.Lock()
	for _, r := range saved {
		s.reports = append(s.reports, r)
		s.last[c.key+" "+r.IP] = now
	}
	s.mu.Unlock()
	c.ok(map[string]any{"data": map[string]any{"savedReports": len(saved), "invalidReports": invalid}})
}

// clearAddress answers DELETE /clear-address (doc §8): this key's
// reports of the address go.
func (c *call) clearAddress() {
	a, ok := c.addrParam("ipAddress")
	if !ok {
		return
	}
	ip := a.String()
	s := c.s
	s.mu.Lock()
	n := 0
	kept := s.reports[:0]
	for _, r := range s.reports {
		if r.IP == ip && r.Key == c.key {
			n++
			continue
		}
		kept = append(kept, r)
	}
	s.reports = kept
	delete(s.last, c.key+" "+ip)
	s.mu.Unlock()
	c.ok(map[string]any{"data": map[string]any{"numReportsDeleted": n}})
}
