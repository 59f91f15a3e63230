package abuseipdb

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrInvalid is wrapped by the errors the client returns without asking
// the server, for arguments the API would refuse (a bad address, category,
// age or page): IsInvalid reports them like a 422.
var ErrInvalid = errors.New("invalid argument")

func invalidf(endpoint, format string, args ...any) error {
	return fmt.Errorf("abuseipdb: %s: %w: %s", endpoint, ErrInvalid, fmt.Sprintf(format, args...))
}

// APIError is a non-2xx answer of the API (or a 2xx one that was not the
// expected JSON). Detail and Parameter come from the JSON error body
// (doc §9.1; several errors are joined with "; "); Body holds the first
// 200 bytes of a body that was not JSON, such as a proxy's HTML page.
type APIError struct {
	Endpoint  string
	Status    int
	Detail    string
	Parameter string
	RateLimit RateLimit
	Body      string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "abuseipdb: %s: HTTP %d", e.Endpoint, e.Status)
	if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + t)
	}
	switch {
	case e.Detail != "":
		b.WriteString(": " + e.Detail)
		if e.Parameter != "" {
			b.WriteString(" (parameter " + e.Parameter + ")")
		}
	case e.Body != "":
		fmt.Fprintf(&b, ": body %q", e.Body)
	}
	return b.String()
}

// IsDuplicate reports the 429 the API answers when the same address was
// reported by this account within 15 minutes (doc §5.2): the address is
// already reported, nothing is wrong.
func (e *APIError) IsDuplicate() bool {
	return e.Status == http.StatusTooManyRequests && strings.Contains(e.Detail, "once in 15 minutes")
}

// IsQuota reports a 429 that is not the 15-minute one: the endpoint's
// daily quota is used up (doc §10); RateLimit says until when.
func (e *APIError) IsQuota() bool {
	return e.Status == http.StatusTooManyRequests && !e.IsDuplicate()
}

// IsAuth reports a refused key (401, 403).
func (e *APIError) IsAuth() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// IsInvalid reports a refused request (422, 400): sending it again will
// not help.
func (e *APIError) IsInvalid() bool {
	return e.Status == http.StatusUnprocessableEntity || e.Status == http.StatusBadRequest
}

// IsPaymentRequired reports a 402: a parameter beyond the account's plan
// (doc §6, §9.2).
func (e *APIError) IsPaymentRequired() bool { return e.Status == http.StatusPaymentRequired }

// Temporary reports a server-side failure (5xx) worth retrying later.
func (e *APIError) Temporary() bool { return e.Status >= 500 && e.Status <= 599 }

// NetworkError is a request that got no HTTP answer: connection refused,
// timeout, TLS, a cut body. Err keeps the cause (errors.Is works with
// context.DeadlineExceeded, for one).
type NetworkError struct {
	Endpoint string
	Err      error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("abuseipdb: %s: network: %v", e.Endpoint, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// Temporary is always true: the request may succeed later.
func (e *NetworkError) Temporary() bool { return true }

// IsTemporary reports an error worth retrying later: a network error or
// a 5xx answer.
func IsTemporary(err error) bool {
	var ne *NetworkError
	if errors.As(err, &ne) {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.Temporary()
}

// IsDuplicate reports err is the API's 15-minute 429.
func IsDuplicate(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.IsDuplicate()
}

// IsQuota reports err is a daily-quota 429.
func IsQuota(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.IsQuota()
}

// IsAuth reports err is a refused key.
func IsAuth(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.IsAuth()
}

// IsInvalid reports err is a request the API refused as invalid (422,
// 400) or the client refused before sending (ErrInvalid).
func IsInvalid(err error) bool {
	if errors.Is(err, ErrInvalid) {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.IsInvalid()
}
