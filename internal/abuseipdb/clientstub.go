package abuseipdb

// TEMPORARY: the types of the client (branch h-abclient) the reporter
// uses, as the design describes them, so that the reporter builds before
// the client lands. Deleted when h-abclient is merged.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

const (
	EndpointReport     = "report"
	EndpointBulkReport = "bulk-report"
)

type Report struct {
	IP         string
	Categories []int
	Comment    string
	Timestamp  time.Time
}

type RateLimit struct {
	Limit, Remaining int
	Reset            time.Time
	RetryAfter       time.Duration
}

func (r RateLimit) Known() bool { return r.Limit > 0 }

type ReportResult struct {
	IPAddress            string
	AbuseConfidenceScore int
	RateLimit            RateLimit
}

type InvalidReport struct {
	Error     string
	Input     string
	RowNumber int
}

type BulkResult struct {
	SavedReports   int
	InvalidReports []InvalidReport
	RateLimit      RateLimit
}

type APIError struct {
	Endpoint  string
	Status    int
	Detail    string
	Parameter string
	RateLimit RateLimit
	Body      string
}

func (e *APIError) Error() string {
	return "abuseipdb: " + e.Endpoint + ": HTTP " + http.StatusText(e.Status) + ": " + e.Detail
}

func (e *APIError) IsDuplicate() bool {
	return e.Status == http.StatusTooManyRequests && strings.Contains(e.Detail, "once in 15 minutes")
}
func (e *APIError) IsQuota() bool { return e.Status == http.StatusTooManyRequests && !e.IsDuplicate() }
func (e *APIError) IsAuth() bool  { return e.Status == 401 || e.Status == 403 }
func (e *APIError) IsInvalid() bool {
	return e.Status == 422 || e.Status == 400
}

func asAPI(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

func IsDuplicate(err error) bool { ae := asAPI(err); return ae != nil && ae.IsDuplicate() }
func IsQuota(err error) bool     { ae := asAPI(err); return ae != nil && ae.IsQuota() }
func IsAuth(err error) bool      { ae := asAPI(err); return ae != nil && ae.IsAuth() }
func IsInvalid(err error) bool   { ae := asAPI(err); return ae != nil && ae.IsInvalid() }

var _ = context.Background
