// Package abuseipdbtest is a fake AbuseIPDB API v2 server for tests. It
// follows shared/reference/abuseipdb-api.md (§13 "Suggested fake-server
// behaviour" and the sections it derives from). Where the document marks
// a behaviour UNVERIFIED the fake makes a choice, marked "choice:" in the
// code.
//
// It follows the document in:
//   - paths under /api/v2/, one method each (GET check, reports, blacklist,
//     check-block; POST report, bulk-report; DELETE clear-address);
//   - the key in the Key header or a lowercase key parameter; a missing
//     or unknown key is the 401 with the current wording and no source;
//   - parameters from the query string and from form, multipart or JSON
//     bodies (the body wins), categories as "18,22", a JSON array or an
//     int, k[]= and k[0]= lists, flags (verbose, plaintext) on when present;
//   - the documented error texts and parameters: the invalid-address 422,
//     the max-age 422, "The categories field is required.", the 15-minute
//     429 with the address in backticks and source "ip" (127.0.0.2
//     always), the check-block 402 "Must be subscribed to search beyond 30
//     days", the daily-quota 429 "Daily rate limit of N requests exceeded
//     for this endpoint. See headers for additional details.";
//   - daily quotas per key and endpoint (the free plan's by default), the
//     day ending at midnight America/New_York; X-RateLimit-Limit and
//     -Remaining on every answer of a limited endpoint, X-RateLimit-Reset
//     (Unix seconds) and Retry-After (seconds) on the quota 429;
//   - the success bodies' fields, types and nulls (isWhitelisted,
//     countryCode, usageType, isp, domain, lastReportedAt null when
//     unknown; countryName and reports only with verbose; at most 10,000
//     reports), times written "2006-01-02T15:04:05+00:00";
//   - comments cut at 1,024 bytes; reports paged (default 25, at most 100)
//     newest first with next/previous page URLs or null;
//   - the blacklist ordered by score then last report, descending; the free
//     plan's confidenceMinimum silently 100 and limit capped at 10,000;
//     plain text by the flag or Accept: text/plain with X-Generated-At;
//   - bulk-report: a multipart file field "csv" with the strict header
//     IP,Categories,ReportDate,Comment, at most 10,000 lines and under 2 MB,
//     invalidReports rows "Duplicate IP", "Invalid IP" and "Invalid
//     Category" (its input the categories value, as the real capture);
//   - a Cloudflare-like HTML 502 when down (SetDown).
//
// For the caller's error paths it also has: Inject (the next n answers
// of an endpoint: any status, JSON detail or HTML page), SetKeys (a key
// revoked or fixed at run time), SetQuota, SetSlow, and introspection:
// Reports, Requests, Used.
//
// It simplifies or chooses (UNVERIFIED in the document):
//   - scores: a seeded score, else 25 a distinct reporter up to 100;
//     reporter countries are null; check's usageType "Reserved" and isp
//     "Loopback" for such addresses only;
//   - 422 and the 15-minute 429 count against the quota unless
//     Options.NoCountRejected; the 15-minute 429 carries no Retry-After;
//     X-RateLimit-Reset is sent only on the quota 429;
//   - invented texts for undocumented errors (missing ip or network, bad
//     page, perPage, timestamp, confidenceMinimum, limit, ipVersion, the
//     csv file, a check-block prefix beyond the plan, 404, 405);
//   - any category outside 1..23 makes the whole report a 422; a
//     timestamp may be any RFC 3339 time (no 60-day or future check);
//   - bulk rows: the header is row 1; "Duplicate IP" is a repeat inside
//     the file (the 15-minute rule is not applied to rows, but saved rows
//     start it for /report); a bad date is "Invalid Date"; CSV is read
//     with Go's encoding/csv (lazy quotes), not PHP's \" escape;
//   - country filters apply on every plan; IPv6 check-block caps /64 free
//     and /56 subscribed; no plain-HTTP 302, any Accept gets JSON;
//   - one plan for all keys (Options.Subscriber lifts the free limits).
//
// Time is the injected clock's: the 15-minute rule, the quota day and
// report times move only when the test moves the clock. Only SetSlow
// uses the wall clock, to test the client's own timeouts.
package abuseipdbtest
