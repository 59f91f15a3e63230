package abuseipdbtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wardenipd/warden/internal/abuseipdb/abuseipdbtest"
	"github.com/wardenipd/warden/internal/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var start = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC) // 08:00 in New York (EDT)

const key = abuseipdbtest.DefaultKey

type env struct {
	t    *testing.T
	fake *abuseipdbtest.Server
	clk  *clock.Fake
	hc   *http.Client
}

func newEnv(t *testing.T, o abuseipdbtest.Options) *env {
	clk := clock.NewFake(start)
	o.Clock = clk
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &env{t: t, fake: abuseipdbtest.NewTest(t, o), clk: clk, hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

// do sends a raw request; hdr holds header pairs.
func (e *env) do(method, path string, body io.Reader, hdr ...string) answer {
	e.t.Helper()
	req, err := http.NewRequest(method, e.fake.URL()+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(data)}
}

func (a answer) want(t *testing.T, status int, body string) {
	t.Helper()
	if a.status != status || a.body != body {
		t.Errorf("got %d %s\nwant %d %s", a.status, a.body, status, body)
	}
}

func TestErrorBodies(t *testing.T) {
	e := newEnv(t, abuseipdbtest.Options{})
	j := []string{"Key", key, "Accept", "application/json"}
	e.do("GET", "/check?ipAddress=1.2.3.4", nil, "Key", "wrong").want(t, 401,
		`{"errors":[{"detail":"Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key.","status":401}]}`)
	e.do("GET", "/check?ipAddress=1.2.3.4", nil).want(t, 401,
		`{"errors":[{"detail":"Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key.","status":401}]}`)
	e.do("GET", "/check?ipAddress=1.2.3.", nil, j...).want(t, 422,
		`{"errors":[{"detail":"The ip address must be a valid IPv4 or IPv6 address (e.g. 8.8.8.8 or 2001:4860:4860::8888).","status":422,"source":{"parameter":"ipAddress"}}]}`)
	e.do("GET", "/check?ipAddress=1.2.3.4&maxAgeInDays=366", nil, j...).want(t, 422,
		`{"errors":[{"detail":"The max age in days must be between 1 and 365.","status":422,"source":{"parameter":"maxAgeInDays"}}]}`)
	e.do("POST", "/report?ip=1.2.3.4", nil, j...).want(t, 422,
		`{"errors":[{"detail":"The categories field is required.","status":422,"source":{"parameter":"categories"}}]}`)
	e.do("POST", "/report?ip=1.2.3.4&categories=46,55", nil, j...).want(t, 422,
		`{"errors":[{"detail":"The categories field is required.","status":422,"source":{"parameter":"categories"}}]}`)
	e.do("POST", "/report?ip=127.0.0.2&categories=18", nil, j...).want(t, 429,
		"{\"errors\":[{\"detail\":\"You can only report the same IP address (`127.0.0.2`) once in 15 minutes.\",\"status\":429,\"source\":{\"parameter\":\"ip\"}}]}")
	e.do("GET", "/check-block?network=127.0.0.0/24&maxAgeInDays=365", nil, j...).want(t, 402,
		`{"errors":[{"detail":"Must be subscribed to search beyond 30 days","status":402,"source":{"parameter":"maxAgeInDays"}}]}`)
	if a := e.do("GET", "/report", nil, j...); a.status != 405 {
		t.Errorf("GET /report: %d", a.status)
	}
	if a := e.do("GET", "/nope", nil, j...); a.status != 404 {
		t.Errorf("GET /nope: %d", a.status)
	}
	// Every answer of an endpoint with a quota carries Limit and Remaining.
	a := e.do("GET", "/check?ipAddress=1.2.3.4&maxAgeInDays=0", nil, j...)
	if a.header.Get("X-RateLimit-Limit") != "1000" || a.header.Get("X-RateLimit-Remaining") != "997" || a.header.Get("Retry-After") != "" {
		t.Errorf("headers %v", a.header)
	}
}

func TestQuotaHeaders(t *testing.T) {
	e := newEnv(t, abuseipdbtest.Options{Quotas: map[string]int{"check": 1}})
	j := []string{"Key", key}
	if a := e.do("GET", "/check?ipAddress=192.0.2.1", nil, j...); a.status != 200 || a.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("first: %d %v", a.status, a.header)
	}
	e.clk.Advance(30 * time.Second)
	a := e.do("GET", "/check?ipAddress=192.0.2.1", nil, j...)
	a.want(t, 429, `{"errors":[{"detail":"Daily rate limit of 1 requests exceeded for this endpoint. See headers for additional details.","status":429}]}`)
	// Midnight in New York in July is 04:00 UTC.
	reset := time.Date(2026, 7, 2, 4, 0, 0, 0, time.UTC)
	if a.header.Get("X-RateLimit-Limit") != "1" || a.header.Get("X-RateLimit-Remaining") != "0" ||
		a.header.Get("X-RateLimit-Reset") != "1782964800" || a.header.Get("Retry-After") != "57570" {
		t.Errorf("headers %v (reset %d)", a.header, reset.Unix())
	}
	if e.fake.Requests("check") != 2 || e.fake.Used(key, "check") != 1 {
		t.Errorf("requests %d used %d", e.fake.Requests("check"), e.fake.Used(key, "check"))
	}
	e.clk.Set(reset)
	if a := e.do("GET", "/check?ipAddress=192.0.2.1", nil, j...); a.status != 200 {
		t.Errorf("after reset: %d", a.status)
	}
}

func TestRejectedCount(t *testing.T) {
	for _, no := range []bool{false, true} {
		e := newEnv(t, abuseipdbtest.Options{NoCountRejected: no})
		e.do("POST", "/report?ip=1.2.3.4", nil, "Key", key)
		e.do("POST", "/report?ip=127.0.0.2&categories=18", nil, "Key", key)
		want := 2
		if no {
			want = 0
		}
		if got := e.fake.Used(key, "report"); got != want {
			t.Errorf("NoCountRejected=%v: used %d, want %d", no, got, want)
		}
	}
}

// TestParamStyles sends a report in each of the styles of doc §1.4.
func TestParamStyles(t *testing.T) {
	e := newEnv(t, abuseipdbtest.Options{})
	form := url.Values{"ip": {"192.0.2.1"}, "categories": {"18,22"}, "comment": {"form"}}
	e.do("POST", "/report", strings.NewReader(form.Encode()), "Key", key, "Content-Type", "application/x-www-form-urlencoded").want(t, 200,
		`{"data":{"abuseConfidenceScore":25,"ipAddress":"192.0.2.1"}}`)
	e.do("POST", "/report", strings.NewReader(`{"ip":"192.0.2.2","categories":[18,21],"comment":"json"}`),
		"Key", key, "Content-Type", "application/json").want(t, 200, `{"data":{"abuseConfidenceScore":25,"ipAddress":"192.0.2.2"}}`)
	e.do("POST", "/report", strings.NewReader(`{"ip":"192.0.2.3","categories":18}`),
		"Key", key, "Content-Type", "application/json; charset=utf-8").want(t, 200, `{"data":{"abuseConfidenceScore":25,"ipAddress":"192.0.2.3"}}`)
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField("ip", "192.0.2.4")
	_ = mw.WriteField("categories", "14")
	_ = mw.WriteField("comment", "multipart")
	_ = mw.Close()
	e.do("POST", "/report", &mp, "Key", key, "Content-Type", mw.FormDataContentType()).want(t, 200,
		`{"data":{"abuseConfidenceScore":25,"ipAddress":"192.0.2.4"}}`)
	// Query string of a POST, key as a lowercase parameter.
	e.do("POST", "/report?key="+url.QueryEscape(key)+"&ip=2001:db8::1&categories=18&comment=query", nil).want(t, 200,
		`{"data":{"abuseConfidenceScore":25,"ipAddress":"2001:db8::1"}}`)
	// Laravel's categories[0]= form.
	e.do("POST", "/report?ip=192.0.2.5&categories[0]=18&categories[1]=22", nil, "Key", key).want(t, 200,
		`{"data":{"abuseConfidenceScore":25,"ipAddress":"192.0.2.5"}}`)
	got := e.fake.Reports()
	if len(got) != 6 {
		t.Fatalf("%d reports", len(got))
	}
	for i, want := range []struct {
		comment string
		cats    []int
	}{{"form", []int{18, 22}}, {"json", []int{18, 21}}, {"", []int{18}}, {"multipart", []int{14}}, {"query", []int{18}}, {"", []int{18, 22}}} {
		if got[i].Comment != want.comment || !slices.Equal(got[i].Categories, want.cats) {
			t.Errorf("report %d: %+v", i, got[i])
		}
	}
	// DELETE with a form body (the docs' curl example).
	e.do("DELETE", "/clear-address", strings.NewReader("ipAddress=192.0.2.1"), "Key", key,
		"Content-Type", "application/x-www-form-urlencoded").want(t, 200, `{"data":{"numReportsDeleted":1}}`)
	// A flag is on whatever its value.
	var v struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	a := e.do("GET", "/check?ipAddress=192.0.2.2&verbose=false", nil, "Key", key)
	if err := json.Unmarshal([]byte(a.body), &v); err != nil || v.Data["reports"] == nil {
		t.Errorf("verbose=false: %s %v", a.body, err)
	}
	a = e.do("GET", "/check?ipAddress=192.0.2.2", nil, "Key", key)
	v.Data = nil
	if err := json.Unmarshal([]byte(a.body), &v); err != nil || string(v.Data["countryCode"]) != "null" || v.Data["countryName"] != nil {
		t.Errorf("not verbose: %s %v", a.body, err)
	}
	// Accept: text/plain makes the blacklist plain text; the free plan
	// lists scores of 100 only.
	e.fake.Seed("192.0.2.50", 100)
	e.fake.Seed("192.0.2.51", 100)
	a = e.do("GET", "/blacklist", nil, "Key", key, "Accept", "text/plain")
	if a.status != 200 || a.body != "192.0.2.50\n192.0.2.51" || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") ||
		a.header.Get("X-Generated-At") != "2026-07-01T12:00:00+00:00" {
		t.Errorf("plaintext: %d %q %v", a.status, a.body, a.header)
	}
}

func TestBulkRows(t *testing.T) {
	e := newEnv(t, abuseipdbtest.Options{})
	csv := "IP,Categories,ReportDate,Comment\n" +
		"192.0.2.1,\"18,22\",2026-07-01T10:00:01-04:00,\"Failed password\"\n" +
		"192.0.2.1,18,2026-07-01T10:00:02-04:00,again\n" +
		"127.0.foo.bar,18,2026-07-01T10:00:01-04:00,\n" +
		"192.0.2.9,\"777,999\",2026-07-01T10:00:01-04:00,\n" +
		"192.0.2.10,18,yesterday-ish,\n" +
		"192.0.2.11,14,2026-07-01 09:00:00,\"naive, eastern\"\n"
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("csv", "report.csv")
	_, _ = io.WriteString(fw, csv)
	_ = mw.Close()
	e.do("POST", "/bulk-report", &body, "Key", key, "Content-Type", mw.FormDataContentType()).want(t, 200,
		`{"data":{"invalidReports":[{"error":"Duplicate IP","input":"192.0.2.1","rowNumber":3},{"error":"Invalid IP","input":"127.0.foo.bar","rowNumber":4},`+
			`{"error":"Invalid Category","input":"777,999","rowNumber":5},{"error":"Invalid Date","input":"yesterday-ish","rowNumber":6}],"savedReports":2}}`)
	got := e.fake.Reports()
	if len(got) != 2 || !got[1].Timestamp.Equal(time.Date(2026, 7, 1, 13, 0, 0, 0, time.UTC)) || got[1].Comment != "naive, eastern" {
		t.Errorf("saved %+v", got)
	}
	e.do("POST", "/bulk-report", nil, "Key", key).want(t, 422,
		`{"errors":[{"detail":"The csv field is required.","status":422,"source":{"parameter":"csv"}}]}`)
}

func TestDownSlowClose(t *testing.T) {
	e := newEnv(t, abuseipdbtest.Options{})
	e.fake.SetDown(true)
	a := e.do("GET", "/check?ipAddress=192.0.2.1", nil, "Key", key)
	if a.status != 502 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(a.body, "cloudflare") {
		t.Errorf("down: %d %v", a.status, a.header)
	}
	e.fake.SetDown(false)
	// A slow fake closes at once, its held request cut.
	e.fake.SetSlow(time.Hour)
	done := make(chan error, 1)
	go func() {
		resp, err := e.hc.Get(e.fake.URL() + "/check?ipAddress=192.0.2.1")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); e.fake.Requests("check") < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the fake")
		}
		time.Sleep(time.Millisecond) // waits for the goroutine's request, not for time to pass
	}
	e.fake.Close()
	if err := <-done; err == nil {
		t.Error("the held request got an answer")
	}
}

func TestSetKeys(t *testing.T) {
	e := newEnv(t, abuseipdbtest.Options{Keys: []string{"old"}})
	e.fake.SetKeys("new")
	if a := e.do("GET", "/check?ipAddress=192.0.2.1", nil, "Key", "old"); a.status != 401 {
		t.Errorf("revoked key: %d", a.status)
	}
	if a := e.do("GET", "/check?ipAddress=192.0.2.1", nil, "Key", "new"); a.status != 200 {
		t.Errorf("new key: %d", a.status)
	}
}

// FuzzRequest: whatever a request holds, the fake answers without
// panicking.
func FuzzRequest(f *testing.F) {
	f.Add("POST", "report", "ip=1.2.3.4&categories=18", "application/x-www-form-urlencoded", "comment=x")
	f.Add("POST", "report", "", "application/json", `{"ip":["1.2.3.4"],"categories":[[18]],"comment":{"a":1}}`)
	f.Add("POST", "bulk-report", "", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"a\"\r\n\r\nIP,Categories,ReportDate,Comment\n\"1,\n--x--\r\n")
	f.Add("POST", "bulk-report", "", "multipart/form-data", "garbage")
	f.Add("GET", "check-block", "network=::/0&maxAgeInDays=1", "", "")
	f.Add("GET", "check-block", "network=1.2.3.4/32", "", "")
	f.Add("GET", "reports", "ipAddress=1.2.3.4&page=99999999999&perPage=1", "", "")
	f.Add("GET", "blacklist", "limit=-1&ipVersion=5&onlyCountries[x]=", "", "")
	f.Add("DELETE", "clear-address", "ipAddress=%zz", "text/plain", "\x00")
	f.Fuzz(func(t *testing.T, method, endpoint, query, ctype, body string) {
		s := abuseipdbtest.New(abuseipdbtest.Options{Clock: clock.NewFake(start), Subscriber: len(body)%2 == 0})
		defer s.Close()
		req, err := http.NewRequest(method, "http://127.0.0.1/api/v2/"+endpoint, strings.NewReader(body))
		if err != nil {
			return
		}
		req.URL.RawQuery = query
		req.Header.Set("Key", key)
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code == 0 {
			t.Fatal("no status")
		}
	})
}
