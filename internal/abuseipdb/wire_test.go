package abuseipdb_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/clock"
)

const secret = "s3cr3t0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567"

// serve starts a handler that answers every request with status, headers
// and body, and records the last request.
func serve(t *testing.T, status int, body string, hdr ...string) (*abuseipdb.Client, *http.Request, *string) {
	t.Helper()
	var got http.Request
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, gotBody = *r.Clone(context.Background()), string(b)
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return newClient(t, srv.URL+"/api/v2/", secret, clock.Real{}), &got, &gotBody
}

func TestRequestShape(t *testing.T) {
	c, req, body := serve(t, 200, `{"data":{"ipAddress":"127.0.0.1","abuseConfidenceScore":52}}`, "X-RateLimit-Limit", "1000", "X-RateLimit-Remaining", "998")
	ts := time.Date(2023, 10, 18, 11, 25, 11, 0, time.FixedZone("EDT", -4*3600))
	res, err := c.Report(context.Background(), abuseipdb.Report{IP: "::ffff:127.0.0.1", Categories: []int{18, 22, 18}, Comment: "a & b = c", Timestamp: ts})
	if err != nil {
		t.Fatal(err)
	}
	if res.AbuseConfidenceScore != 52 || res.RateLimit != (abuseipdb.RateLimit{Limit: 1000, Remaining: 998}) {
		t.Errorf("result %+v", res)
	}
	if req.Method != "POST" || req.URL.Path != "/api/v2/report" || req.Header.Get("Key") != secret ||
		req.Header.Get("Accept") != "application/json" || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
		req.URL.RawQuery != "" {
		t.Errorf("request %s %s %v", req.Method, req.URL, req.Header)
	}
	form, _ := url.ParseQuery(*body)
	want := url.Values{"ip": {"127.0.0.1"}, "categories": {"18,22"}, "comment": {"a & b = c"}, "timestamp": {"2023-10-18T11:25:11-04:00"}}
	if form.Encode() != want.Encode() {
		t.Errorf("form %v, want %v", form, want)
	}

	c, req, _ = serve(t, 200, `{"data":{"numReportsDeleted":3}}`)
	if n, err := c.ClearAddress(context.Background(), "2001:db8::1"); err != nil || n != 3 {
		t.Fatalf("clear: %d %v", n, err)
	}
	if req.Method != "DELETE" || req.URL.Path != "/api/v2/clear-address" || req.URL.Query().Get("ipAddress") != "2001:db8::1" {
		t.Errorf("clear request %s %s", req.Method, req.URL)
	}

	c, req, _ = serve(t, 200, `{"data":{"ipAddress":"1.2.3.4","isPublic":true,"ipVersion":4,"isWhitelisted":null,"abuseConfidenceScore":0,`+
		`"countryCode":null,"usageType":null,"isp":null,"domain":null,"hostnames":null,"isTor":false,"totalReports":0,"numDistinctUsers":0,"lastReportedAt":null,"extra":1}}`)
	res2, err := c.Check(context.Background(), "1.2.3.4", 90, true)
	if err != nil || res2.IsWhitelisted != nil || !res2.LastReportedAt.IsZero() || res2.CountryCode != "" {
		t.Fatalf("nulls: %+v %v", res2, err)
	}
	if q := req.URL.Query(); req.URL.Path != "/api/v2/check" || q.Get("maxAgeInDays") != "90" || !q.Has("verbose") || q.Get("ipAddress") != "1.2.3.4" {
		t.Errorf("check request %s", req.URL)
	}

	c, req, body = serve(t, 200, `{"data":{"savedReports":1,"invalidReports":[]}}`)
	if _, err := c.BulkReport(context.Background(), []abuseipdb.Report{{IP: "127.0.0.1", Categories: []int{18, 22}, Comment: "Failed password",
		Timestamp: time.Date(2018, 1, 1, 10, 0, 1, 0, time.FixedZone("", -4*3600))}}); err != nil {
		t.Fatal(err)
	}
	// The docs' own example row (doc §7).
	if !strings.HasPrefix(req.Header.Get("Content-Type"), "multipart/form-data") ||
		!strings.Contains(*body, `filename="report.csv"`) || !strings.Contains(*body, `name="csv"`) ||
		!strings.Contains(*body, "IP,Categories,ReportDate,Comment\n127.0.0.1,\"18,22\",2018-01-01T10:00:01-04:00,Failed password\n") {
		t.Errorf("bulk body %q", *body)
	}
}

// TestDocumentedErrors feeds the client the error bodies of the doc.
func TestDocumentedErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		hdr     []string
		check   func(*abuseipdb.APIError) bool
		message string
	}{
		{"422 max age", 422, `{"errors":[{"detail":"The max age in days must be between 1 and 365.","status":422,"source":{"parameter":"maxAgeInDays"}}]}`, nil,
			func(e *abuseipdb.APIError) bool {
				return e.IsInvalid() && e.Parameter == "maxAgeInDays" && e.Detail == "The max age in days must be between 1 and 365."
			},
			"abuseipdb: report: HTTP 422 Unprocessable Entity: The max age in days must be between 1 and 365. (parameter maxAgeInDays)"},
		{"status as a string", 422, `{"errors":[{"detail":"The categories field is required.","status":"422","source":{"parameter":"categories"}}]}`, nil,
			func(e *abuseipdb.APIError) bool { return e.IsInvalid() && e.Parameter == "categories" }, ""},
		{"two errors", 422, `{"errors":[{"detail":"one","status":422},{"detail":"two","status":422}]}`, nil,
			func(e *abuseipdb.APIError) bool { return e.Detail == "one; two" }, ""},
		{"old 401 wording", 401, `{"errors":[{"detail":"Authentication failed. You are either missing your API key or it is incorrect. Note: The APIv2 key differs from the APIv1 key.","status":401}]}`, nil,
			func(e *abuseipdb.APIError) bool { return e.IsAuth() && !e.IsInvalid() }, ""},
		{"403", 403, `forbidden`, nil, func(e *abuseipdb.APIError) bool { return e.IsAuth() && e.Body == "forbidden" }, ""},
		{"quota with headers", 429, `{"errors":[{"detail":"Daily rate limit of 1000 requests exceeded for this endpoint. See headers for additional details.","status":429}]}`,
			[]string{"X-RateLimit-Limit", "1000", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1545973200", "Retry-After", "29241"},
			func(e *abuseipdb.APIError) bool {
				return e.IsQuota() && !e.IsDuplicate() && e.RateLimit == abuseipdb.RateLimit{Limit: 1000, Remaining: 0,
					Reset: time.Date(2018, 12, 28, 5, 0, 0, 0, time.UTC), RetryAfter: 29241 * time.Second}
			}, ""},
		{"duplicate", 429, "{\"errors\":[{\"detail\":\"You can only report the same IP address (`1.2.3.4`) once in 15 minutes.\",\"status\":429,\"source\":{\"parameter\":\"ip\"}}]}", nil,
			func(e *abuseipdb.APIError) bool { return e.IsDuplicate() && !e.IsQuota() }, ""},
		{"html 429", 429, "<html>slow down</html>", nil, func(e *abuseipdb.APIError) bool { return e.IsQuota() && e.Body == "<html>slow down</html>" }, ""},
		{"html 503", 503, strings.Repeat("<p>Service Unavailable</p>\r\n\x00", 50), nil,
			func(e *abuseipdb.APIError) bool {
				return e.Temporary() && len(e.Body) <= 200 && !strings.ContainsAny(e.Body, "\r\x00")
			}, ""},
		{"200 not JSON", 200, "<!DOCTYPE html>", nil, func(e *abuseipdb.APIError) bool {
			return e.Status == 200 && !e.Temporary() && e.Body == "<!DOCTYPE html>"
		}, ""},
		{"200 wrong types", 200, `{"data":{"ipAddress":1,"abuseConfidenceScore":"x"}}`, nil, func(e *abuseipdb.APIError) bool { return e.Status == 200 }, ""},
		{"key echoed", 422, `{"errors":[{"detail":"bad key ` + secret + `","status":422,"source":{"parameter":"` + secret + `"}}]}`, nil,
			func(e *abuseipdb.APIError) bool { return e.Detail == "bad key [key]" && e.Parameter == "[key]" }, ""},
		{"key echoed in html", 500, "<p>" + secret + "</p>", nil, func(e *abuseipdb.APIError) bool { return e.Body == "<p>[key]</p>" }, ""},
		{"bad headers", 429, `{"errors":[]}`, []string{"X-RateLimit-Limit", "-5", "X-RateLimit-Remaining", "x", "X-RateLimit-Reset", "99999999999999999999", "Retry-After", "-1"},
			func(e *abuseipdb.APIError) bool { return e.RateLimit == abuseipdb.RateLimit{} && e.IsQuota() }, ""},
		{"errors not a list", 422, `{"errors":{"detail":"x"}}`, nil, func(e *abuseipdb.APIError) bool { return e.IsInvalid() && e.Body != "" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := serve(t, tc.status, tc.body, tc.hdr...)
			_, err := c.Report(context.Background(), abuseipdb.Report{IP: "1.2.3.4", Categories: []int{18}})
			var ae *abuseipdb.APIError
			if !errors.As(err, &ae) || !tc.check(ae) {
				t.Fatalf("%#v", err)
			}
			if tc.message != "" && err.Error() != tc.message {
				t.Errorf("message %q\nwant %q", err.Error(), tc.message)
			}
			noKey(t, err, secret)
		})
	}
}

func TestPlaintextBlacklist(t *testing.T) {
	c, req, _ := serve(t, 200, "5.188.10.179\n\n185.222.209.14\n", "Content-Type", "text/plain", "X-Generated-At", "2020-09-24T19:54:11+00:00")
	bl, err := c.Blacklist(context.Background(), abuseipdb.BlacklistQuery{Plaintext: true, OnlyCountries: []string{"ru", "NL"}, IPVersion: 4, Limit: 9999999})
	if err != nil {
		t.Fatal(err)
	}
	if len(bl.Entries) != 2 || bl.Entries[1].IPAddress != "185.222.209.14" || !bl.GeneratedAt.Equal(time.Date(2020, 9, 24, 19, 54, 11, 0, time.UTC)) {
		t.Errorf("%+v", bl)
	}
	if q := req.URL.Query(); !q.Has("plaintext") || q.Get("onlyCountries") != "RU,NL" || q.Get("ipVersion") != "4" || q.Get("limit") != "9999999" {
		t.Errorf("query %s", req.URL.RawQuery)
	}
	c, _, _ = serve(t, 200, "5.188.10.179\n<html>", "Content-Type", "text/plain")
	if _, err := c.Blacklist(context.Background(), abuseipdb.BlacklistQuery{Plaintext: true}); err == nil {
		t.Error("a page that is not a list was accepted")
	}
}

// FuzzAnswer: whatever the server answers, the client returns a result or
// an error, never panics, and never quotes the key.
func FuzzAnswer(f *testing.F) {
	f.Add(200, `{"data":{"reportedAddress":[{"mostRecentReport":"x"}]}}`, "")
	f.Add(200, `{"data":[{"lastReportedAt":"2020-09-24T19:17:02+00:00"}],"meta":null}`, "")
	f.Add(429, `{"errors":[{"status":null,"source":"ip"}]}`, "99")
	f.Add(500, "\xff\xfe"+secret, "")
	f.Add(302, "", "")
	f.Fuzz(func(t *testing.T, status int, body, retry string) {
		if status < 200 || status > 599 {
			return
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", retry)
			w.Header().Set("X-RateLimit-Reset", retry)
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}))
		defer srv.Close()
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		c, err := abuseipdb.New(abuseipdb.Options{BaseURL: srv.URL, Key: secret, HTTP: &http.Client{Transport: tr, Timeout: 5 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var errs []error
		_, err = c.Check(ctx, "1.2.3.4", 0, true)
		errs = append(errs, err)
		_, err = c.Reports(ctx, "1.2.3.4", 0, 0, 0)
		errs = append(errs, err)
		_, err = c.Blacklist(ctx, abuseipdb.BlacklistQuery{})
		errs = append(errs, err)
		_, err = c.CheckBlock(ctx, "1.2.3.0/24", 0)
		errs = append(errs, err)
		_, err = c.BulkReport(ctx, []abuseipdb.Report{{IP: "1.2.3.4", Categories: []int{18}}})
		errs = append(errs, err)
		_, err = c.ClearAddress(ctx, "1.2.3.4")
		errs = append(errs, err)
		for _, err := range errs {
			noKey(t, err, secret)
		}
	})
}

// TestNoRedirect: a redirect is an error, and the key does not follow it.
func TestNoRedirect(t *testing.T) {
	reached := make(chan string, 1)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached <- r.Header.Get("Key")
	}))
	defer other.Close()
	c, _, _ := serve(t, http.StatusFound, "", "Location", other.URL+"/steal")
	_, err := c.Check(context.Background(), "1.2.3.4", 0, false)
	var ae *abuseipdb.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusFound {
		t.Fatalf("redirect: %v", err)
	}
	select {
	case k := <-reached:
		t.Fatalf("the redirect was followed (key sent: %v)", k == secret)
	default:
	}
}
